"""Size and complexity limits of the layer and the handlers (``make lint``).

* no function in the layer (or registry/) longer than 40 lines, nor with a cyclomatic complexity
  above 12, counted as radon does: +1 for each ``if``/``elif``, loop, ``except``,
  ``with``, ``assert``, comprehension ``for``, conditional expression, ``match`` case,
  and each extra operand of a boolean operator;
* no layer module above 450 lines (the outbound client, one cohesive unit, excepted);
* every handler (``functions/*/app.py``) under 20 lines, with no ``try``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common" / "byoc"
# The registry's schema and compiler (build tooling, held to the layer's limits).
TOOLING = ROOT / "registry"
MAX_FUNCTION_LINES = 40
MAX_COMPLEXITY = 12
MAX_MODULE_LINES = 450
MODULE_EXCEPTIONS = {"outbound.py"}
MAX_HANDLER_LINES = 20

_DECISIONS = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ExceptHandler,
    ast.With,
    ast.AsyncWith,
    ast.Assert,
    ast.comprehension,
    ast.IfExp,
    ast.match_case,
)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def complexity(function: ast.AST) -> int:
    """Cyclomatic complexity of one function, its nested functions and classes left out."""
    score = 1
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, _DECISIONS):
            score += 1
        elif isinstance(node, ast.BoolOp):
            score += len(node.values) - 1
        stack.extend(ast.iter_child_nodes(node))
    return score


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, _FUNCTIONS)]


def layer_problems() -> list[str]:
    problems = []
    for path in sorted([*LAYER.rglob("*.py"), *TOOLING.rglob("*.py")]):
        name = path.relative_to(ROOT)
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES and path.name not in MODULE_EXCEPTIONS:
            problems.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
        for function in functions(ast.parse(text)):
            length = (function.end_lineno or function.lineno) - function.lineno + 1
            where = f"{name}:{function.lineno} {function.name}"
            if length > MAX_FUNCTION_LINES:
                problems.append(f"{where}: {length} lines (at most {MAX_FUNCTION_LINES})")
            score = complexity(function)
            if score > MAX_COMPLEXITY:
                problems.append(f"{where}: complexity {score} (at most {MAX_COMPLEXITY})")
    return problems


def handler_problems() -> list[str]:
    problems = []
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        name = path.relative_to(ROOT)
        for function in functions(ast.parse(path.read_text(encoding="utf-8"))):
            length = (function.end_lineno or function.lineno) - function.lineno + 1
            if length >= MAX_HANDLER_LINES:
                problems.append(f"{name}: {function.name} is {length} lines (under {MAX_HANDLER_LINES})")
            if any(isinstance(node, ast.Try) for node in ast.walk(function)):
                problems.append(f"{name}: {function.name} has a try (the edge decorators map errors)")
    return problems


def main() -> int:
    problems = layer_problems() + handler_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
