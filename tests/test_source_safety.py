"""What the source never does with stored or received data: build SQL from it, unpickle it,
evaluate it, import it. Checked on the syntax tree of every module of the package."""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

import pytest

import sms_campaign_stats

SOURCE = Path(sms_campaign_stats.__file__).parent
MODULES = sorted(SOURCE.rglob("*.py"))
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|WHERE|VALUES)\b")
#: Names an f-string of SQL may interpolate: module constants (column lists, the schema version)
#: and ``marks``, a run of ``?`` placeholders (checked below).
SAFE_NAME = re.compile(r"^(?:_?[A-Z][A-Z0-9_]*|marks)$")
SQL_TAKERS = {"execute", "executemany", "executescript", "_fetch", "_messages_where", "_record"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _text_of(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text_of(part) for part in node.values)
    return ""


#: Interpolations checked by hand: where the value is validated against a fixed set.
VALIDATED = {
    "self._synchronous": "SQLiteStorage.__init__ accepts durability 'full' or 'normal' only",
}


def _is_constant(node: ast.AST) -> bool:
    """Text built from literals and module constants only (``"SELECT " + COLUMNS``)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return bool(SAFE_NAME.match(node.id))
    if isinstance(node, ast.JoinedStr):
        return all(
            _is_constant(part.value) if isinstance(part, ast.FormattedValue) else True
            for part in node.values
        )
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    if isinstance(node, ast.IfExp):  # "BEGIN IMMEDIATE" if write else "BEGIN"
        return _is_constant(node.body) and _is_constant(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _is_constant(node.func.value) and all(_is_constant(a) for a in node.args)
    return False


def _sql_problems(path: Path) -> list[str]:
    problems: list[str] = []
    for node in ast.walk(_tree(path)):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.JoinedStr) and SQL.search(_text_of(node)):
            problems.extend(
                f"{where}: SQL f-string interpolates {ast.unparse(part)}"
                for part in node.values
                if isinstance(part, ast.FormattedValue)
                and not _is_constant(part.value)
                and ast.unparse(part.value) not in VALIDATED
            )
        elif (
            isinstance(node, ast.BinOp)
            and any(SQL.search(_text_of(side)) for side in (node.left, node.right))
            and not _is_constant(node)
        ):
            problems.append(f"{where}: SQL built with an operator: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and SQL.search(_text_of(node.func.value))
        ):
            problems.append(f"{where}: SQL built with str.format")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in SQL_TAKERS and node.args:
                first = node.args[0]
                # SQL comes as text written here, or through a parameter of a helper whose own
                # callers are checked the same way (``sql``, ``engagement``, or a ``statement``
                # of the schema).
                passed_on = isinstance(first, ast.Name) and first.id in {
                    "sql",
                    "statement",
                    "engagement",
                }
                if not (passed_on or _is_constant(first) or isinstance(first, ast.JoinedStr)):
                    problems.append(f"{where}: {name}() takes SQL from {ast.unparse(first)}")
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "marks" for t in node.targets
        ):
            strings = {
                n.value
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            if "?" not in strings or not strings <= {"?", ", ", ","}:
                problems.append(f"{where}: marks built from {sorted(strings)}")
    return problems


def _talks_sql(path: Path) -> bool:
    return "sqlite3" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [m for m in MODULES if _talks_sql(m)], ids=lambda p: p.name)
def test_sql_is_parameterized(path: Path) -> None:
    """Values reach SQL as parameters only; SQL text is literals and module constants."""
    assert [] == _sql_problems(path)


def test_every_module_is_walked() -> None:
    """The walk covers every ``.py`` file at any depth, subpackages included: a moved module
    is never skipped silently."""
    importable = {
        info.name.rsplit(".", 1)[-1]
        for info in pkgutil.walk_packages([str(SOURCE)], prefix="sms_campaign_stats.")
        if not info.ispkg
    }
    assert importable <= {path.stem for path in MODULES}
    assert any(path.parent.parent.name == "storage" for path in MODULES)  # storage/sqlite/*.py


def test_the_sql_modules_are_checked() -> None:
    assert {"_store.py", "_database.py", "_schema.py"} <= {m.name for m in MODULES if _talks_sql(m)}


def test_the_sql_check_catches_string_built_sql(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(c, name, ids):\n"
        "    c.execute(f\"SELECT * FROM campaigns WHERE name = '{name}'\")\n"
        "    c.execute(\"DELETE FROM messages WHERE id = '%s'\" % name)\n"
        "    c.execute('SELECT * FROM t WHERE id = ' + name)\n"
        "    c.execute('SELECT {}'.format(name))\n"
        "    query = 'SELECT 1'\n"
        "    c.execute(query)\n"
        "    marks = ','.join(ids)\n",
        encoding="utf-8",
    )
    flagged = {int(problem.split(":")[1]) for problem in _sql_problems(bad)}
    assert {2, 3, 4, 5, 7, 8} == flagged


FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "yaml"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}


def _package_tables(tree: ast.Module) -> set[str]:
    """Module-level dicts whose values are all literal names of this package's modules: a
    lazy loader may import from them (the names are in the source, never from data)."""
    tables = set()
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Dict)
            and value.values
            and all(
                isinstance(v, ast.Constant)
                and isinstance(v.value, str)
                and v.value.startswith("sms_campaign_stats.")
                for v in value.values
            )
        ):
            tables.add(target.id)
    return tables


def _from_table(tree: ast.Module, name: str, tables: set[str]) -> bool:
    """``name`` is only ever assigned ``table.get(...)`` or ``table[...]`` of such a table."""
    sources = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]
    return bool(sources) and all(
        (
            isinstance(v, ast.Call)
            and isinstance(v.func, ast.Attribute)
            and v.func.attr == "get"
            and isinstance(v.func.value, ast.Name)
            and v.func.value.id in tables
        )
        or (isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id in tables)
        for v in sources
    )


def _unsafe(path: Path) -> list[str]:
    problems: list[str] = []
    tree = _tree(path)
    tables = _package_tables(tree)
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names.append(getattr(node, "module", None) or "")
            problems.extend(
                f"{where}: imports {name}"
                for name in names
                if name.split(".")[0] in FORBIDDEN_MODULES
            )
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if isinstance(node.func, ast.Name) and name in FORBIDDEN_CALLS:
                problems.append(f"{where}: calls {name}")
            named = node.args[0] if node.args else None
            if name == "import_module" and not (
                isinstance(named, ast.Constant)
                or (isinstance(named, ast.Name) and _from_table(tree, named.id, tables))
            ):
                problems.append(f"{where}: imports a module named by data")
    return problems


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_pickle_eval_or_dynamic_import(path: Path) -> None:
    assert [] == _unsafe(path)


def test_the_unsafe_check_catches_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pickle\nfrom yaml import load\nimport importlib\n"
        "def f(x):\n    eval(x)\n    exec(x)\n    importlib.import_module(x)\n",
        encoding="utf-8",
    )
    assert 5 == len(_unsafe(bad)), _unsafe(bad)


def test_a_lazy_loader_may_import_from_a_table_of_its_modules(tmp_path: Path) -> None:
    """``import_module`` of a name taken from a module-level table of this package's module
    names passes (the package's lazy ``__getattr__``); from any other table, or data, it fails."""
    lazy = tmp_path / "lazy.py"
    lazy.write_text(
        "import importlib\n"
        "_EXPORTS = {'A': 'sms_campaign_stats.model'}\n"
        "_OTHER = {'A': 'os'}\n"
        "def ok(name):\n    module = _EXPORTS.get(name)\n"
        "    return importlib.import_module(module)\n"
        "def bad(name):\n    where = _OTHER[name]\n    return importlib.import_module(where)\n"
        "def worse(name):\n    mixed = _EXPORTS.get(name)\n    mixed = name\n"
        "    return importlib.import_module(mixed)\n",
        encoding="utf-8",
    )
    assert ["lazy.py:9", "lazy.py:13"] == [p.split(": ")[0] for p in _unsafe(lazy)]
