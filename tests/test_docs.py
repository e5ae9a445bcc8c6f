"""Docs stay true: generated pages are current, docstring examples and the quickstart run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sms_campaign_stats
from sms_campaign_stats.render import GENERATED_PAGES
from sms_campaign_stats.testing import StorageConformance

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(GENERATED_PAGES))
def test_generated_pages_are_current(name: str) -> None:
    """docs/ pages generated from tables match the tables (run scripts/generate_docs.py)."""
    assert GENERATED_PAGES[name]() == (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_docstring_examples() -> None:
    """Every ``>>>`` example in the package's docstrings runs and prints what it says."""
    package = Path(sms_campaign_stats.__file__).parent
    attempted = 0
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"sms_campaign_stats.{info.name}")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert 0 == result.failed, info.name
        attempted += result.attempted
    assert attempted >= 5


def test_quickstart_runs_and_is_stable(tmp_path: Path) -> None:
    """The README's main job builds the campaign once and prints the same report twice."""
    command = [sys.executable, str(ROOT / "examples" / "quickstart.py"), "qs.db"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert first.stdout == second.stdout
    assert "Recipients   1,000" in first.stdout
    assert "" == first.stderr


def test_readme_has_the_two_commands() -> None:
    """The README names the main-job and test commands that .ci/run also uses."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\s*\$ (.+)$", readme, flags=re.MULTILINE)
    assert 2 == len(commands)
    assert "sms-campaign-stats demo" in commands[0]
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install -e '.[test]'" in commands[1]
    assert "python -m pip install -e '.[test]'" in ci


def test_architecture_names_existing_modules() -> None:
    """Every unit in docs/architecture.md's map exists, and every unit of the package (root
    module or subpackage) is in it: the map and the tree agree."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = Path(sms_campaign_stats.__file__).parent
    listed = set(re.findall(r"^\| `(_{0,2}[a-z_]+(?:\.py|/))` \|", text, flags=re.MULTILINE))
    present = {path.name for path in package.glob("*.py")} | {
        f"{path.name}/" for path in package.iterdir() if (path / "__init__.py").exists()
    }
    assert present == listed


def test_docs_site_builds_strictly(tmp_path: Path) -> None:
    """MkDocs builds the documentation with every warning (a broken link, a page left out of
    the navigation) treated as an error."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == result.returncode, result.stderr
    assert (tmp_path / "quickstart" / "index.html").is_file()
    assert (tmp_path / "policies" / "index.html").is_file()


def test_guarantees_name_existing_tests() -> None:
    """Every test docs/guarantees.md cites exists: ``file::test`` (``::test`` repeats the file
    before it; ``conformance test_x`` is a method of the storage conformance suite)."""
    text = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")
    cited = 0
    for line in text.splitlines():
        current = None
        for path, name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?(?:\[[\w|]+\])?`", line):
            current = path or current
            if name:
                assert current is not None, line
                source = (ROOT / current).read_text(encoding="utf-8")
                assert re.search(rf"def {name}\(", source), f"{current}::{name}"
                cited += 1
        for name in re.findall(r"`(test_\w+)`", line):  # bare names: conformance methods
            assert callable(getattr(StorageConformance, name, None)), name
            cited += 1
    assert cited >= 40


def _public_objects() -> dict[str, object]:
    """Every name a public module or subpackage exports, and the public modules themselves."""
    found: dict[str, object] = {
        name: getattr(sms_campaign_stats, name) for name in sms_campaign_stats.__all__
    }
    package = Path(sms_campaign_stats.__file__).parent
    for info in pkgutil.walk_packages([str(package)], prefix="sms_campaign_stats."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        found.setdefault(info.name.rsplit(".", 1)[1], module)
        for name in getattr(module, "__all__", ()):
            found.setdefault(name, getattr(module, name))
    return found


def test_the_vocabulary_names_what_exists() -> None:
    """Every name in the code column of docs/concepts.md's vocabulary exists in the public API:
    ``Name`` is exported by a public module, ``module.Name`` and ``Class.attribute`` resolve."""
    text = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    section = text.split("## Vocabulary", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    objects = _public_objects()
    cited = []
    for row in rows[1:]:
        code = row.rstrip(" |").rsplit(" | ", 1)[1]
        for name in re.findall(r"`([A-Za-z_][\w.]*)", code):
            cited.append(name)
            first, *rest = name.split(".")
            assert first in objects, f"{first!r} of {name!r} is not public"
            value = objects[first]
            for part in rest:
                assert hasattr(value, part), f"{name!r} does not resolve"
                value = getattr(value, part)
    assert len(cited) >= 20
