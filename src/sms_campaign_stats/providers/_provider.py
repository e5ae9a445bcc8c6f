"""``Provider``: what one provider module declares; ``ProviderRegistry``: the providers you use.

A provider is its parsers, its code tables, the source tags its rows cite, and how a classifier
reads its reports: which tables read its status words (and how a word becomes a key), which read
the error codes of the namespaces it defines. The registry is a value: ``with_provider`` returns a
copy, nothing global is ever changed (``TableClassifier(providers=...)`` reads the copy you give).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from sms_campaign_stats._core.validate import describe
from sms_campaign_stats.errors import UnknownProviderError, ValidationError
from sms_campaign_stats.providers._report import DeliveryReport, ErrorNamespace
from sms_campaign_stats.providers._rows import CodeRow

if TYPE_CHECKING:
    from sms_campaign_stats.providers._inbound import InboundMessage

__all__ = ["Provider", "ProviderRegistry"]

Parser = Callable[..., DeliveryReport]
InboundParser = Callable[..., "InboundMessage"]
Table = Mapping[str, CodeRow]


def _read_only_tables(value: Mapping[str, Table]) -> Mapping[str, Table]:
    return MappingProxyType(dict(value))


def _read_only_parsers(value: Mapping[str, Parser]) -> Mapping[str, Parser]:
    return MappingProxyType(dict(value))


def _read_only_inbound(value: Mapping[str, InboundParser]) -> Mapping[str, InboundParser]:
    return MappingProxyType(dict(value))


def _read_only_errors(
    value: Mapping[ErrorNamespace, Iterable[str]],
) -> Mapping[ErrorNamespace, tuple[str, ...]]:
    return MappingProxyType({namespace: tuple(names) for namespace, names in value.items()})


def _names_only(value: Iterable[object]) -> str:
    """A short repr: the names (of parsers, tables or providers), not their contents."""
    return "<" + ", ".join(getattr(item, "name", str(item)) for item in value) + ">"


def _name_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(_names(value))


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # a lone name, not its letters
        return (value,)
    return tuple(value)


@attrs.frozen
class Provider:
    """One provider: its parsers and code tables, and how its reports are read.

    ``name`` is the ``DeliveryReport.provider`` its parsers write (and the name of its module);
    ``parsers`` and ``tables`` are keyed by name (a table's name is the namespace its rows carry);
    ``sources`` the tags its rows and documentation cite. ``status_tables`` name, in order, the
    tables that read its status words (its own or another provider's: Kannel falls back on
    SMPP's), after ``status_key`` turned a word into a key (``str.upper`` by default);
    ``group_table`` a table read by ``report.details["group"]`` when no status table knows the
    word (Infobip's status groups). ``error_tables`` maps each error namespace the provider
    defines to the tables that read its codes, in order; ``pattern_tables`` names tables whose
    keys are regular expressions searched, in order, in the error code (Brevo's reason texts).
    ``inbound_parsers`` are its parsers of inbound messages (replies, STOPs), by name: each
    returns an ``InboundMessage`` or raises ``MalformedInboundError``.
    """

    name: str
    title: str
    parsers: Mapping[str, Parser] = attrs.field(
        converter=_read_only_parsers, hash=False, repr=_names_only
    )
    tables: Mapping[str, Table] = attrs.field(
        converter=_read_only_tables, hash=False, repr=_names_only
    )
    sources: tuple[str, ...] = attrs.field(converter=_names)
    status_tables: tuple[str, ...] = attrs.field(default=(), converter=_names)
    status_key: Callable[[str], str] = str.upper
    group_table: str = ""
    error_tables: Mapping[ErrorNamespace, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_read_only_errors, hash=False
    )
    pattern_tables: frozenset[str] = attrs.field(default=frozenset(), converter=_name_set)
    inbound_parsers: Mapping[str, InboundParser] = attrs.field(
        factory=dict, converter=_read_only_inbound, hash=False, repr=_names_only
    )

    def __attrs_post_init__(self) -> None:
        where = f"Provider({self.name!r})"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("Provider.name", f"{describe(self.name)} is not a name")
        for parser_name, parser in self.parsers.items():
            if not callable(parser):
                raise ValidationError(f"{where}.parsers", f"{parser_name} is not callable")
        for inbound_name, inbound in self.inbound_parsers.items():
            if not callable(inbound):
                raise ValidationError(f"{where}.inbound_parsers", f"{inbound_name} is not callable")
        if not callable(self.status_key):
            raise ValidationError(f"{where}.status_key", "is not callable")
        for table_name, table in self.tables.items():
            for code, row in table.items():
                if not isinstance(row, CodeRow) or row.namespace != table_name or row.code != code:
                    raise ValidationError(
                        f"{where}.tables",
                        f"{table_name}[{code!r}] is not a CodeRow of namespace {table_name!r} "
                        f"and code {code!r}: {describe(row)}",
                    )
        unknown = self.pattern_tables - set(self.tables)
        if unknown:
            raise ValidationError(
                f"{where}.pattern_tables", f"not tables of this provider: {sorted(unknown)}"
            )


def _providers(value: Iterable[Provider]) -> tuple[Provider, ...]:
    found = tuple(value)
    for index, item in enumerate(found):
        if not isinstance(item, Provider):
            raise ValidationError(
                f"ProviderRegistry[{index}]", f"{describe(item)} is not a Provider"
            )
    return found


@attrs.frozen
class ProviderRegistry:
    """The providers a classifier knows, in order; a value, never changed in place.

    ``registry[name]`` is the provider of that name (``UnknownProviderError``, a ``LookupError``,
    when none is); iterating gives the providers; ``name in registry`` asks by name;
    ``with_provider`` returns a copy that knows one more (or replaces one of the same name).
    Reports of a provider nobody registered are read by ``fallback``'s tables (by default SMPP's:
    ``parse_smpp_receipt(provider=...)`` names gateways the registry cannot know).
    """

    providers: tuple[Provider, ...] = attrs.field(converter=_providers, repr=_names_only)
    fallback: str = "smpp"
    _by_name: Mapping[str, Provider] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _tables: Mapping[str, Table] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _errors: Mapping[ErrorNamespace, tuple[str, ...]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _patterns: Mapping[str, tuple[tuple[re.Pattern[str], CodeRow], ...]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        by_name: dict[str, Provider] = {}
        tables: dict[str, Table] = {}
        errors: dict[ErrorNamespace, tuple[str, ...]] = {}
        patterns: dict[str, tuple[tuple[re.Pattern[str], CodeRow], ...]] = {}
        for provider in self.providers:
            if provider.name in by_name:
                raise ValidationError("ProviderRegistry", f"{provider.name!r} is listed twice")
            by_name[provider.name] = provider
            for table_name, table in provider.tables.items():
                if table_name in tables:
                    raise ValidationError(
                        "ProviderRegistry", f"two providers have a table {table_name!r}"
                    )
                tables[table_name] = table
            for namespace, names in provider.error_tables.items():
                if namespace in errors:
                    raise ValidationError(
                        "ProviderRegistry", f"two providers read the namespace {namespace.value!r}"
                    )
                errors[namespace] = names
            for table_name in provider.pattern_tables:
                patterns[table_name] = tuple(
                    (re.compile(code), row) for code, row in provider.tables[table_name].items()
                )
        for provider in self.providers:
            named = [
                *provider.status_tables,
                *(n for ns in provider.error_tables.values() for n in ns),
            ]
            if provider.group_table:
                named.append(provider.group_table)
            missing = [name for name in named if name not in tables]
            if missing:
                raise ValidationError(
                    f"ProviderRegistry[{provider.name!r}]", f"no table named {', '.join(missing)}"
                )
        if by_name and self.fallback not in by_name:
            raise ValidationError(
                "ProviderRegistry.fallback", f"{describe(self.fallback)} is not registered"
            )
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))
        object.__setattr__(self, "_tables", MappingProxyType(tables))
        object.__setattr__(self, "_errors", MappingProxyType(errors))
        object.__setattr__(self, "_patterns", MappingProxyType(patterns))

    def __getitem__(self, name: str) -> Provider:
        """The provider named ``name``; ``UnknownProviderError`` if none is registered."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownProviderError(str(name), self.names) from None

    def get(self, name: str) -> Provider | None:
        """The provider named ``name``, or ``None``."""
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Provider]:
        return iter(self.providers)

    def __len__(self) -> int:
        return len(self.providers)

    @property
    def names(self) -> tuple[str, ...]:
        """The providers' names, in order."""
        return tuple(self._by_name)

    @property
    def tables(self) -> Mapping[str, Table]:
        """Every provider's tables, by name, in the providers' order."""
        return self._tables

    def reader(self, name: str) -> Provider:
        """The provider whose tables read ``name``'s reports: itself, or the fallback."""
        found = self._by_name.get(name)
        return found if found is not None else self[self.fallback]

    def error_tables(self, namespace: ErrorNamespace) -> tuple[str, ...]:
        """The names of the tables that read codes of ``namespace``, in order (none for
        ``ErrorNamespace.PROVIDER``: a provider's own codes are kept, not interpreted)."""
        return self._errors.get(namespace, ())

    def patterns(self, table_name: str) -> tuple[tuple[re.Pattern[str], CodeRow], ...]:
        """A pattern table's rows with their compiled patterns, in order (empty for others)."""
        return self._patterns.get(table_name, ())

    def with_provider(self, provider: Provider) -> ProviderRegistry:
        """A copy that knows ``provider``: in place of the one of the same name, or last."""
        if not isinstance(provider, Provider):
            raise ValidationError("provider", f"{describe(provider)} is not a Provider")
        if provider.name in self._by_name:
            kept = tuple(provider if p.name == provider.name else p for p in self.providers)
        else:
            kept = (*self.providers, provider)
        return ProviderRegistry(kept, self.fallback)
