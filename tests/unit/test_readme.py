"""The README's deploy section names every parameter the template takes."""

import re
from pathlib import Path

from devserver.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def test_every_template_parameter_is_in_the_readme_table():
    template = load_template(ROOT / "template.yaml")
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`([A-Za-z]+)`", row.split("|")[1])}
    assert set(template["Parameters"]) - documented == set()
