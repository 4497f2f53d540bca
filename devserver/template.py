"""Read template.yaml as plain data.

CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...) are not
standard YAML, so ``yaml.safe_load`` refuses them. ``load_template`` turns each
into its long form (``{"Ref": x}``, ``{"Fn::Sub": ...}``, ``{"Fn::GetAtt": [a, b]}``),
as CloudFormation itself does, and resolves nothing: a ``Ref`` to a parameter
stays a ``Ref``. Like CloudFormation, it refuses a mapping with a repeated key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

__all__ = ["CloudFormationLoader", "load_template"]

# Short tag -> long-form key, for the tags whose value is kept as written.
_FUNCTIONS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
    "Transform": "Fn::Transform",
}

Constructor = Callable[["CloudFormationLoader", yaml.Node], dict[str, Any]]


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that also accepts CloudFormation's short-form intrinsic functions."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"repeated key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_value(loader: CloudFormationLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise ConstructorError(None, None, f"unexpected node {node.id}", node.start_mark)


def _long_form(key: str) -> Constructor:
    def construct(loader: CloudFormationLoader, node: yaml.Node) -> dict[str, Any]:
        return {key: _construct_value(loader, node)}

    return construct


def _construct_get_att(loader: CloudFormationLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_value(loader, node)
    if isinstance(value, str):
        # "Resource.Attribute"; the attribute may itself hold dots ("Db.Endpoint.Address").
        resource, _, attribute = value.partition(".")
        if not resource or not attribute:
            raise ConstructorError(
                None, None, f"!GetAtt {value!r} is not of the form Resource.Attribute", node.start_mark
            )
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


for _tag, _key in _FUNCTIONS.items():
    CloudFormationLoader.add_constructor(f"!{_tag}", _long_form(_key))
CloudFormationLoader.add_constructor("!GetAtt", _construct_get_att)


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template into dicts, lists and strings."""
    with Path(path).open(encoding="utf-8") as stream:
        # CloudFormationLoader is a SafeLoader: it builds no Python objects.
        document = yaml.load(stream, Loader=CloudFormationLoader)  # nosec B506
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template (no top-level mapping)")
    return document
