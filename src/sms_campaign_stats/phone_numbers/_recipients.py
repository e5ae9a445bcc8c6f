"""Contact lists into recipients: one ``Recipient`` per E.164 number with every list it is in,
and the ``Rejected`` numbers (``build_recipients``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from sms_campaign_stats._core import validate as v
from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.phone_numbers._check import (
    NumberCheck,
    _check_raw,
    _check_region,
    _describe,
    _iterable_of_numbers,
)
from sms_campaign_stats.phone_numbers._validator import (
    NumberValidator,
    _check_all,
    _check_validator,
)

__all__ = ["Recipient", "RecipientSet", "Rejected", "build_recipients"]


def _list_ids_of(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_list_ids(f"{type(instance).__name__}.{attribute.name}", value)


def _e164_of(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_e164(f"{type(instance).__name__}.{attribute.name}", value)


def _a_check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, NumberCheck):
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name}",
            f"expected a NumberCheck, got {_describe(value)}",
        )


@attrs.frozen(kw_only=True)
class Recipient:
    """One number to send to, the lists it came from (sorted, without repeats), and the check
    of the first spelling met (``check.raw``). ``e164`` is masked in the repr."""

    e164: str = attrs.field(validator=_e164_of, repr=mask_number)
    list_ids: tuple[str, ...] = attrs.field(converter=v.to_list_ids, validator=_list_ids_of)
    check: NumberCheck = attrs.field(validator=_a_check)


@attrs.frozen(kw_only=True)
class Rejected:
    """One refused text, the lists it was in (sorted, without repeats), and why
    (``check.reason``, ``check.detail``). ``raw`` is masked in the repr."""

    raw: str = attrs.field(repr=mask_number)
    list_ids: tuple[str, ...] = attrs.field(converter=v.to_list_ids, validator=_list_ids_of)
    check: NumberCheck = attrs.field(validator=_a_check)


def _recipient_tuple(value: Iterable[Recipient]) -> tuple[Recipient, ...]:
    return tuple(value)


def _rejected_tuple(value: Iterable[Rejected]) -> tuple[Rejected, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RecipientSet:
    """What ``build_recipients`` found: who to send to, and what was refused.

    ``recipients`` has one ``Recipient`` per distinct E.164 number, ``rejected`` one
    ``Rejected`` per distinct refused text, each in the order first met.
    """

    recipients: tuple[Recipient, ...] = attrs.field(converter=_recipient_tuple)
    rejected: tuple[Rejected, ...] = attrs.field(converter=_rejected_tuple)

    def in_list(self, list_id: str) -> tuple[Recipient, ...]:
        """The recipients that came from ``list_id`` (among others), in order."""
        return tuple(r for r in self.recipients if list_id in r.list_ids)


def build_recipients(
    lists: Mapping[str, Iterable[str]],
    *,
    default_region: str | None = None,
    validator: NumberValidator | None = None,
) -> RecipientSet:
    """Merge contact lists (list id -> raw numbers) into one recipient per E.164 number.

    The same person written ``"+33 6 12 34 56 78"`` in one list and ``"0612345678"`` in another
    (with ``default_region="FR"``) is one ``Recipient``, in both lists. A refused text is one
    ``Rejected``, with every list it was in. Lists are read in the mapping's order, numbers in
    each list's order; each distinct text is checked once. List ids are checked like every id
    in the library (non-empty, no surrounding spaces, at most 256 characters).
    """
    field = "build_recipients"
    region = _check_region(f"{field}.default_region", default_region)
    chosen = _check_validator(f"{field}.validator", validator)
    if not isinstance(lists, Mapping):
        raise ValidationError(
            f"{field}.lists",
            f"expected a mapping of list id to phone numbers, got {_describe(lists)}",
        )
    cache: dict[str, NumberCheck] = {}
    accepted: dict[str, tuple[NumberCheck, set[str]]] = {}
    refused: dict[str, tuple[NumberCheck, set[str]]] = {}
    for list_id, raws in lists.items():
        v.check_id(f"{field}.lists", list_id)
        list_field = f"{field}.lists[{list_id!r}]"
        numbers = [
            _check_raw(f"{list_field}[{index}]", raw)
            for index, raw in enumerate(_iterable_of_numbers(list_field, raws))
        ]
        checks = _check_all(numbers, list_field, region, chosen, cache)
        for raw, check in zip(numbers, checks, strict=True):
            if check.ok and check.e164 is not None:  # ok implies e164: NumberCheck's rule
                key, groups = check.e164, accepted
            else:
                key, groups = raw, refused
            entry = groups.get(key)
            if entry is None:
                groups[key] = (check, {list_id})
            else:
                entry[1].add(list_id)
    return RecipientSet(
        recipients=[
            Recipient(e164=e164, list_ids=ids, check=check)
            for e164, (check, ids) in accepted.items()
        ],
        rejected=[
            Rejected(raw=raw, list_ids=ids, check=check) for raw, (check, ids) in refused.items()
        ],
    )
