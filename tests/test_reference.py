"""The API reference covers the package, says what the code does, and ``help()`` stays short.

What a page covers: ``docs/reference/<name>.md`` holds one ``::: sms_campaign_stats.<name>``
directive and covers that module. A page whose directive sets ``show_submodules: true``
(``providers``, ``send_time.countries``, ``testing``) also covers every public module below
it: a new provider's or a new country's module appears on its package's page. Every other
public module, a new subpackage included, needs a page of its own.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pydoc
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import griffe
import pytest

import sms_campaign_stats
from sms_campaign_stats import engine, quiet_hours, retry, suspension

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(sms_campaign_stats.__file__).parent
REFERENCE = ROOT / "docs" / "reference"

#: ``help()`` on any public class prints fewer characters than this (pydoc's plain text; a
#: str-based enum is about 17,000 of them, most of it the methods of ``str``).
HELP_BOUND = 20_000


def public_modules() -> list[str]:
    """Every module and subpackage of the package without a name component starting with
    ``_``, found on disk (so a module that does not import yet is still found)."""
    names = {"sms_campaign_stats"}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and not any(part.startswith("_") for part in parts):
            names.add(".".join(("sms_campaign_stats", *parts)))
    return sorted(names)


def pages() -> dict[str, tuple[str, bool]]:
    """Each reference page: the module its directive documents, and whether the page also
    shows that module's submodules."""
    found = {}
    for page in sorted(REFERENCE.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r"^::: ([\w.]+)$", text, flags=re.MULTILINE)
        if page.name == "index.md":
            assert [] == targets, "the index lists the pages; it documents nothing itself"
            continue
        assert 1 == len(targets), f"{page.name}: one ::: directive per page"
        submodules = re.search(r"^\s+show_submodules: true$", text, flags=re.MULTILINE)
        found[page.name] = (targets[0], submodules is not None)
    return found


def covering_pages(module: str) -> list[str]:
    """The pages that document ``module``."""
    return [
        name
        for name, (target, submodules) in pages().items()
        if target == module or (submodules and module.startswith(f"{target}."))
    ]


@pytest.mark.parametrize("module", public_modules())
def test_every_public_module_is_on_exactly_one_page(module: str) -> None:
    """Every public module is documented by one reference page: its own, or its package's page
    when that page shows submodules (a provider's, a country's module). A new public
    subpackage without a page fails here."""
    assert 1 == len(covering_pages(module)), (module, covering_pages(module))


def test_every_page_documents_an_existing_module_and_is_listed() -> None:
    """No page documents a module that is gone, and the index links every page."""
    index = (REFERENCE / "index.md").read_text(encoding="utf-8")
    modules = public_modules()
    for name, (target, _submodules) in pages().items():
        assert target in modules, name
        assert f"]({name})" in index, name


def test_the_reference_is_in_the_navigation() -> None:
    """mkdocs.yml lists every page of the reference (the strict build also fails otherwise)."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in sorted(REFERENCE.glob("*.md")):
        assert f"reference/{page.name}" in config, page.name


def public_classes() -> Iterator[tuple[str, type]]:
    """Every class exported by a public module (``__all__``), once, under its first name."""
    seen: set[type] = set()
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.isclass(value) and value not in seen:
                seen.add(value)
                yield f"{module_name}.{name}", value


def help_text(cls: type) -> str:
    """What ``help(cls)`` prints, without the terminal's bold."""
    return pydoc.plain(pydoc.render_doc(cls))


def test_help_on_every_public_class_is_short() -> None:
    """``help()`` on any public class fits on a few screens: fewer than HELP_BOUND characters
    of pydoc plain text (the defaults in signatures print as their names, not as the whole
    rule registry)."""
    sizes = sorted(
        ((len(help_text(cls)), name) for name, cls in public_classes()),
        reverse=True,
    )
    assert len(sizes) > 100
    largest, name = sizes[0]
    assert largest < HELP_BOUND, f"help({name}) is {largest:,} characters; the largest: {sizes[:5]}"


@pytest.fixture(scope="module")
def static_package() -> griffe.Module:
    """The package as the reference sees it: read by Griffe with the docs' extension."""
    extension = f"{REFERENCE / '_griffe.py'}:ReferenceExtension"
    package = griffe.load(
        "sms_campaign_stats",
        search_paths=[str(PACKAGE.parent)],
        extensions=griffe.load_extensions(extension),
        resolve_aliases=True,
    )
    assert isinstance(package, griffe.Module)
    return package


def shown_parameters(static: griffe.Object | griffe.Alias) -> list[tuple[str, str, bool]]:
    """The constructor the reference shows: (name, kind, has a default) for each argument."""
    init = static.members["__init__"]
    assert isinstance(init, (griffe.Function, griffe.Alias)), static
    variadic = {griffe.ParameterKind.var_positional, griffe.ParameterKind.var_keyword}
    return [
        (p.name, str(p.kind.value), p.default is not None and p.kind not in variadic)
        for p in init.parameters
        if p.name != "self"
    ]


def real_parameters(cls: type) -> list[tuple[str, str, bool]]:
    """The constructor the class really has, in the same terms."""
    kinds = {
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional or keyword",
        inspect.Parameter.KEYWORD_ONLY: "keyword-only",
        inspect.Parameter.POSITIONAL_ONLY: "positional-only",
        inspect.Parameter.VAR_POSITIONAL: "variadic positional",
        inspect.Parameter.VAR_KEYWORD: "variadic keyword",
    }
    return [
        (p.name, kinds[p.kind], p.default is not inspect.Parameter.empty)
        for p in inspect.signature(cls).parameters.values()
    ]


def test_the_reference_shows_the_real_constructor_of_every_attrs_class(
    static_package: griffe.Module,
) -> None:
    """For every public attrs class, the signature in the reference (built from the source by
    the Griffe extension) has exactly the arguments the class takes: names, order, keyword-only
    or not, and which have a default."""
    checked = 0
    for name, cls in public_classes():
        if not attrs.has(cls):
            continue
        static = static_package[name.removeprefix("sms_campaign_stats.")]
        assert real_parameters(cls) == shown_parameters(static), name
        checked += 1
    assert checked > 50


def test_fields_show_their_defaults_not_attrs_field_calls(static_package: griffe.Module) -> None:
    """A field declared ``attrs.field(default=...)`` or ``attrs.field(factory=...)`` is shown
    with its default; the retry policy's fields show the named defaults."""
    retrying = static_package["retry.Retrying"]
    assert "DEFAULT_WAIT" == str(retrying.members["wait"].value)
    assert "DEFAULT_STOP" == str(retrying.members["stop"].value)
    handled = static_package["engine.HandleResult"]
    assert "()" == str(handled.members["actions"].value)
    for name, cls in public_classes():
        if attrs.has(cls):
            static = static_package[name.removeprefix("sms_campaign_stats.")]
            for member in static.members.values():
                assert "attrs.field" not in str(getattr(member, "value", "")), (name, member)


def test_defaults_print_as_their_names_and_stay_their_values() -> None:
    """The defaults of the engine's constructor print as the names they are exported under;
    each is still the value it was: equal to, hashing and pickling like one built by hand,
    which prints in full, as does a changed copy."""
    defaults = {
        "DEFAULT_RETRY_POLICY": (retry.DEFAULT_RETRY_POLICY, retry.Retrying()),
        "DEFAULT_SUSPENSION_POLICY": (
            suspension.DEFAULT_SUSPENSION_POLICY,
            suspension.AnyOf(*suspension.DEFAULT_SUSPENSION_POLICY.policies),
        ),
        "DEFAULT_STOP_WORDS": (
            engine.DEFAULT_STOP_WORDS,
            engine.StopWords(engine.DEFAULT_STOP_WORDS.languages),
        ),
    }
    for name, (default, built) in defaults.items():
        assert name == repr(default)
        assert built == default
        if name != "DEFAULT_STOP_WORDS":  # a mappingproxy field: neither hashable nor picklable
            assert hash(built) == hash(default)
            assert default == pickle.loads(pickle.dumps(default))  # noqa: S301 (our own bytes)
        assert name != repr(built)
        assert repr(built).startswith(f"{type(built).__name__}(")
    assert "DEFAULT_RULES" == repr(quiet_hours.DEFAULT_RULES)
    changed = attrs.evolve(retry.DEFAULT_RETRY_POLICY, wait=retry.DEFAULT_BACKOFF)
    assert (
        "Retrying(whether=RetryIfRetryable(), wait=DEFAULT_BACKOFF, stop=DEFAULT_STOP, "
        "throttle=DEFAULT_THROTTLE)"
    ) == repr(changed)


def test_user_built_values_print_in_full() -> None:
    """A policy or a keyword list you build prints its fields as attrs does; a rule registry
    you extend prints its size (its rules in full were some 75,000 characters)."""
    wilson = suspension.DEFAULT_SUSPENSION_POLICY.policies[0]
    assert f"AnyOf(policies=({wilson!r},))" == repr(suspension.AnyOf(wilson))
    assert "StopWords(languages=mappingproxy({'en': frozenset({'STOP'})}))" == repr(
        engine.StopWords({"en": ["stop"]})
    )
    rules = quiet_hours.DEFAULT_RULES
    extended = rules.with_rule(rules.rule_for("FR"), country="DE")
    assert (
        f"RuleRegistry({len(rules.rules)} rules, {len(rules.editions) + 1} editions, "
        f"{len(rules.aliases)} aliases)"
    ) == repr(extended)
