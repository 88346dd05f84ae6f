"""The hand-written SQL of the progress hot paths (progress.sql) is never built from values."""

import ast
from pathlib import Path

import progress

SOURCES = sorted(Path(progress.__file__).parent.rglob("*.py"))


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def test_statements_are_constant_text_with_bound_parameters():
    checked = 0
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"fetch", "execute"}):
                continue
            statement = node.args[0]
            where = f"{path.name}:{node.lineno}"
            assert isinstance(statement, ast.Name) and statement.id.isupper(), f"{where}: pass a named constant"
            value = constants.get(statement.id)
            assert isinstance(value, ast.Constant) and isinstance(value.value, str), f"{where}: a plain string"
            assert "{" not in value.value and "%s" not in value.value, f"{where}: named parameters only"
            checked += 1
    assert checked >= 10


def test_only_progress_sql_opens_a_cursor():
    users = [p.name for p in SOURCES if "cursor.execute(" in p.read_text(encoding="utf-8")]
    assert users == ["sql.py"]
