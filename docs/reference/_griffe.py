"""A Griffe extension for the API reference (loaded by ``mkdocs.yml``; not part of the package).

Griffe reads the source without importing it, and knows dataclasses but not attrs. This:

* gives every attrs class (``@attrs.define``, ``@attrs.frozen``, ``@attrs.mutable``, with or
  without arguments) the ``__init__`` that attrs generates: its fields in order (base classes'
  first, keyword-only ones last), private fields under their public alias, ``init=False``
  fields left out, each with its type and its default (``factory=f`` and ``attrs.Factory(f)``
  shown as ``f()``); and shows each field with its default, not with its ``attrs.field(...)``;
* shows an attribute that ``__init__`` sets (``self.kind = kind``) with the type of the argument
  it takes, not with the right-hand side of the assignment;
* shows ``DEFAULT_X = named_default(value, "DEFAULT_X")`` as ``DEFAULT_X = value`` (the name
  only changes how the object prints);
* makes a ``#:`` comment above a module or class attribute its docstring, as Sphinx does;
* renders the docstrings' reStructuredText-isms in Markdown: a doctest block (from a ``>>>``
  line to the next blank line) becomes a fenced ``pycon`` block, and the ``::`` that ends a
  paragraph before a literal block becomes ``:`` (the block is indented, so it is already
  Markdown code). Double backticks are already Markdown code.
"""

from __future__ import annotations

import re
from typing import Any, cast

import griffe

_ATTRS_DECORATORS = frozenset(
    {
        "attrs.define",
        "attrs.frozen",
        "attrs.mutable",
        "attr.define",
        "attr.frozen",
        "attr.mutable",
        "attr.s",
        "attr.attrs",
    }
)
_FIELD_CALLS = frozenset({"attrs.field", "attr.ib", "attr.attrib", "attr.field"})
_FACTORY_CALLS = frozenset({"attrs.Factory", "attr.Factory"})
_SPECIAL_COMMENT = re.compile(r"^\s*#:\s?(.*)$")
_KEYWORD_ONLY = cast(griffe.ParameterKind, griffe.ParameterKind.keyword_only)
_POSITIONAL = cast(griffe.ParameterKind, griffe.ParameterKind.positional_or_keyword)
_EXTRA = "sms_campaign_stats_reference"
_NAMED_DEFAULT = "sms_campaign_stats._core.defaults.named_default"

Default = str | griffe.Expr | None


def _path(expr: object) -> str | None:
    """The canonical path a name or a call's function stands for."""
    if isinstance(expr, griffe.ExprCall):
        expr = expr.function
    return expr.canonical_path if isinstance(expr, griffe.Expr) else None


def _keywords(call: object) -> dict[str, Any]:
    """A call's keyword arguments, by name (``{}`` for a bare name)."""
    if not isinstance(call, griffe.ExprCall):
        return {}
    return {a.name: a.value for a in call.arguments if isinstance(a, griffe.ExprKeyword)}


def _is_true(value: object) -> bool:
    return str(value) == "True"


def _attrs_arguments(class_: griffe.Class) -> dict[str, Any] | None:
    """The arguments of the class's attrs decorator; ``None`` if it is not an attrs class."""
    for decorator in class_.decorators:
        if _path(decorator.value) in _ATTRS_DECORATORS:
            return _keywords(decorator.value)
    return None


def _default(attribute: griffe.Attribute, field: dict[str, Any] | None) -> Default:
    """What a field defaults to, as an expression; ``None``: no default."""
    if field is None:
        return attribute.value
    factory = field.get("factory")
    default = field.get("default")
    if factory is None and _path(default) in _FACTORY_CALLS:
        factory = cast(griffe.ExprCall, default).arguments[0]
    if isinstance(factory, griffe.Expr):
        return griffe.ExprCall(function=factory, arguments=[])
    return cast(Default, default)


def _fields(class_: griffe.Class) -> list[griffe.Parameter]:
    """The ``__init__`` parameters of the class's own fields (read once per class: reading also
    replaces each field's ``attrs.field(...)`` value by its default)."""
    extra = class_.extra[_EXTRA]
    if "fields" not in extra:
        extra["fields"] = _read_fields(class_)
    return cast(list[griffe.Parameter], extra["fields"])


def _read_fields(class_: griffe.Class) -> list[griffe.Parameter]:
    class_kw_only = _is_true((_attrs_arguments(class_) or {}).get("kw_only"))
    parameters = []
    for member in list(class_.members.values()):
        if not isinstance(member, griffe.Attribute) or member.annotation is None:
            continue
        if "instance-attribute" not in member.labels:  # a ClassVar
            continue
        field = _keywords(member.value) if _path(member.value) in _FIELD_CALLS else None
        default = _default(member, field)
        if field is None:
            field = {}
        else:
            member.value = default  # shown as `name: type = default`
        if "init" in field and not _is_true(field["init"]):
            continue
        alias = field.get("alias")
        parameters.append(
            griffe.Parameter(
                str(alias).strip("'\"") if alias is not None else member.name.lstrip("_"),
                annotation=member.annotation,
                kind=_KEYWORD_ONLY
                if class_kw_only or _is_true(field.get("kw_only"))
                else _POSITIONAL,
                default=default,
                docstring=member.docstring,
            )
        )
    return parameters


def _add_attrs_init(class_: griffe.Class) -> None:
    """Give an attrs class without an ``__init__`` of its own the one attrs generates."""
    arguments = _attrs_arguments(class_)
    if arguments is None:
        return
    own = _fields(class_)
    if "__init__" in class_.members or ("init" in arguments and not _is_true(arguments["init"])):
        return
    try:
        parents = class_.mro()
    except ValueError:  # a base Griffe cannot resolve
        parents = []
    inherited = [
        parameter
        for parent in reversed(parents)
        if isinstance(parent, griffe.Class) and _attrs_arguments(parent) is not None
        for parameter in _fields(parent)
    ]
    by_name = {parameter.name: parameter for parameter in (*inherited, *own)}
    # attrs puts keyword-only arguments last; sorted() keeps the order otherwise.
    ordered = sorted(by_name.values(), key=lambda parameter: parameter.kind is _KEYWORD_ONLY)
    class_.set_member(
        "__init__",
        griffe.Function(
            "__init__",
            lineno=class_.lineno,
            endlineno=class_.lineno,
            parent=class_,
            parameters=griffe.Parameters(griffe.Parameter("self", kind=_POSITIONAL), *ordered),
            returns="None",
        ),
    )


def _typed_constructor_attributes(class_: griffe.Class) -> None:
    """``self.kind = kind`` in ``__init__``: the attribute has the argument's type, and no value
    (the right-hand side of an assignment in a method says nothing to a reader)."""
    init = class_.members.get("__init__")
    parameters = init.parameters if isinstance(init, griffe.Function) else griffe.Parameters()
    for member in class_.members.values():
        if isinstance(member, griffe.Attribute) and member.labels == {"instance-attribute"}:
            source = str(member.value) if member.value is not None else ""
            if member.annotation is None and source in parameters:
                member.annotation = parameters[source].annotation
            member.value = None


def _special_comment(attribute: griffe.Attribute) -> str | None:
    """The ``#:`` comment lines right above the attribute, joined; ``None`` if there are none."""
    if attribute.lineno is None:
        return None
    lines = attribute.module.lines
    found: list[str] = []
    index = attribute.lineno - 2
    while index >= 0 and (match := _SPECIAL_COMMENT.match(lines[index])) is not None:
        found.insert(0, match.group(1))
        index -= 1
    return "\n".join(found) or None


def markdown_of(text: str) -> str:
    """A docstring's reStructuredText-isms in Markdown: doctest blocks fenced, ``::`` ended."""
    out: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        if stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            if out and out[-1].strip():
                out.append("")
            out.append(f"{indent}```pycon")
            while index < len(lines) and lines[index].strip():
                out.append(lines[index])
                index += 1
            out.append(f"{indent}```")
            continue
        if line.rstrip().endswith("::") and not stripped.startswith(".."):
            head = line.rstrip()[:-2]
            line = f"{head.rstrip()}:" if head.strip() else ""
        out.append(line)
        index += 1
    return "\n".join(out)


class ReferenceExtension(griffe.Extension):
    """attrs ``__init__``s, typed constructor attributes, ``#:`` docstrings, Markdown."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Visit every object of the loaded package, once."""
        self._visit(pkg, set())

    def _visit(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if isinstance(obj, griffe.Class):
            _add_attrs_init(obj)
            _typed_constructor_attributes(obj)
        if isinstance(obj, griffe.Attribute) and _path(obj.value) == _NAMED_DEFAULT:
            obj.value = cast(griffe.ExprCall, obj.value).arguments[0]
        if isinstance(obj, griffe.Attribute) and obj.docstring is None:
            comment = _special_comment(obj)
            if comment is not None:
                obj.docstring = griffe.Docstring(comment, parent=obj, lineno=obj.lineno)
        if obj.docstring is not None:
            obj.docstring.value = markdown_of(obj.docstring.value)
        for member in list(obj.members.values()):
            if isinstance(member, griffe.Object):
                self._visit(member, seen)
