"""Imports go one way: every import in the package, read from the syntax tree of every module
(subpackages included), runs down the layers of ``docs/architecture.md``, and no module imports
itself back through a circle. A test of the checker proves that it sees a back edge."""

from __future__ import annotations

import ast
import pkgutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import pytest

import sms_campaign_stats

PACKAGE = "sms_campaign_stats"
SOURCE = Path(sms_campaign_stats.__file__).parent

#: The layers, bottom first, and the top-level units (subpackage or root module) in each.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("model", frozenset({"_core", "errors", "lifecycle", "model"})),
    ("tables and providers", frozenset({"providers", "send_time"})),
    (
        "policies",
        frozenset(
            {"bounces", "phone_numbers", "quiet_hours", "retry", "_retry", "suspension"}
            | {"_suspension"}
        ),
    ),
    ("storage", frozenset({"storage"})),
    ("engine", frozenset({"engine"})),
    ("reports", frozenset({"reports"})),
    ("renderings", frozenset({"render"})),
    (
        "CLI and notebook",
        frozenset({"cli", "notebook", "simulation", "testing", "__init__", "__main__"}),
    ),
)

#: The one kind of upward import allowed: a convenience method of a lower layer that imports a
#: higher one *inside the method*, at call time (``report.to_html()`` calls ``render``).
LAZY_CONVENIENCES = frozenset({("reports", "render"), ("reports", "notebook")})


@attrs.frozen
class Edge:
    source: str  # dotted module name
    target: str  # dotted module name
    line: int
    lazy: bool  # inside a function body


def unit_of(module: str) -> str:
    """``sms_campaign_stats.storage.sqlite._store`` -> ``storage``; the root -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(unit: str) -> int:
    for index, (_, units) in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"{unit!r} is in no layer: add it to LAYERS and docs/architecture.md")


def _module_name(path: Path) -> str:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _walk(tree: ast.AST, in_function: bool = False) -> Iterable[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(tree):
        inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield child, inner
        yield from _walk(child, inner)


def edges_of(module: str, source: str, is_package: bool) -> list[Edge]:
    """Every import of a module of the package, with the module it reaches."""
    found: list[Edge] = []
    for node, lazy in _walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            # ``from pkg import submodule`` reaches the submodule; ``from pkg import name``, pkg.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        line = getattr(node, "lineno", 0)
        found.extend(
            Edge(module, target, line, lazy)
            for target in targets
            if target == PACKAGE or target.startswith(PACKAGE + ".")
        )
    return found


def _package_modules() -> dict[str, Path]:
    modules = {PACKAGE: SOURCE / "__init__.py"}
    for info in pkgutil.walk_packages([str(SOURCE)], prefix=PACKAGE + "."):
        path = SOURCE.parent.joinpath(*info.name.split("."))
        modules[info.name] = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
    return modules


MODULES = _package_modules()


def all_edges() -> list[Edge]:
    return [
        edge
        for module, path in MODULES.items()
        for edge in edges_of(module, path.read_text(encoding="utf-8"), path.stem == "__init__")
    ]


def back_edges(edges: Iterable[Edge]) -> list[str]:
    """Imports that run up the layers, but for the allowed lazy conveniences."""
    wrong = []
    for edge in edges:
        source, target = unit_of(edge.source), unit_of(edge.target)
        if layer_of(target) <= layer_of(source):
            continue
        if edge.lazy and (source, target) in LAZY_CONVENIENCES:
            continue
        wrong.append(
            f"{edge.source}:{edge.line} imports {edge.target} "
            f"({LAYERS[layer_of(source)][0]} -> {LAYERS[layer_of(target)][0]})"
        )
    return wrong


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import circles of a graph of modules (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def graph_of(edges: Iterable[Edge]) -> dict[str, set[str]]:
    """Module-level imports only: a lazy convenience runs at call time, after both are loaded."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.lazy and edge.target != edge.source:
            graph.setdefault(edge.source, set()).add(edge.target)
    return graph


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(unit_of(module))


def test_the_walk_reaches_the_subpackages() -> None:
    """The walk sees every ``.py`` file under the package: nothing is skipped silently."""
    on_disk = set(SOURCE.rglob("*.py"))
    assert on_disk == set(MODULES.values())
    assert any(name.count(".") >= 3 for name in MODULES)  # sms_campaign_stats.storage.sqlite.x


def test_imports_run_down_the_layers() -> None:
    assert [] == back_edges(all_edges())


def test_no_import_circles() -> None:
    assert [] == circles(graph_of(all_edges()))


def test_a_lazy_convenience_stays_inside_its_method() -> None:
    """``reports`` reaches ``render`` only at call time; at load time it never does."""
    loaded = [
        edge
        for edge in all_edges()
        if unit_of(edge.source) == "reports" and unit_of(edge.target) == "render"
    ]
    assert loaded  # the conveniences exist
    assert all(edge.lazy for edge in loaded)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "sms_campaign_stats.storage._contract",
            "from sms_campaign_stats.engine import CampaignEngine\n",
            ["sms_campaign_stats.storage._contract:1 imports sms_campaign_stats.engine"],
        ),
        (
            "sms_campaign_stats.model",
            "def f():\n    from sms_campaign_stats.reports import report_for\n",
            ["sms_campaign_stats.model:2 imports sms_campaign_stats.reports"],
        ),
        ("sms_campaign_stats.reports._campaign", "from ..render import to_text\n", ["render"]),
        ("sms_campaign_stats.engine._driver", "from ..storage import Storage\n", []),
        (
            "sms_campaign_stats.reports._campaign",
            "def f():\n    from sms_campaign_stats import render\n",
            [],
        ),
    ],
)
def test_the_checker_sees_a_back_edge(module: str, source: str, expected: list[str]) -> None:
    """Fed a module with an upward import, the checker names it; a downward one passes."""
    found = back_edges(edges_of(module, source, is_package=False))
    assert len(expected) == len(found)
    for part, message in zip(expected, found, strict=True):
        assert part in message


def test_the_checker_sees_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [["a", "b", "c"]] == circles(graph)
    assert [] == circles({"a": {"b"}, "b": set()})
