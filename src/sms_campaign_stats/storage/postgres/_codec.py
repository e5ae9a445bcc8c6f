"""How values are written to and read from ``PostgresStorage``'s tables.

Instants are ``timestamptz`` (the drivers' sessions run in UTC, so they come back in UTC,
exactly: both sides count microseconds), the unit price ``numeric``, lists ``text[]``, statuses
and reasons the library's words. The pure encodings the SQLite store uses are shared with it:
the ``shape`` of a message (``encode_shape``/``decode_shape``), the JSON of its attempts, the
compact JSON of history details and orphan reports.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats.model import Campaign, Message, built_message
from sms_campaign_stats.storage.postgres._steps import Row
from sms_campaign_stats.storage.sqlite._schema import (
    _attempts,
    _attempts_json,
    encode_shape,
    reason_of,
    status_of,
    to_json,
)

__all__ = [
    "CAMPAIGN_COLUMNS",
    "COPY_MESSAGES",
    "MESSAGE_SELECT",
    "MESSAGE_TYPES",
    "campaign_from_row",
    "campaign_params",
    "message_from_row",
    "message_row",
    "to_json",
]

CAMPAIGN_COLUMNS = (
    "id, name, sender, content, list_ids, status, created_at, scheduled_at, unit_price, "
    "currency, version"
)
#: The columns ``message_row`` fills, in its order.
_MESSAGE_COLUMNS = (
    "id, campaign_id, recipient, list_set, status, reason, shape, attempts, segments, "
    "queued_at, submitted_at, final_at, sent, version, last_attempt_at, zone, due_at"
)
COPY_MESSAGES = f"COPY messages ({_MESSAGE_COLUMNS}) FROM STDIN (FORMAT BINARY)"
#: The types of ``message_row``'s values, for a binary ``COPY`` (attempts are JSON text: the
#: bytes of a binary ``json`` value are its text).
MESSAGE_TYPES = (
    "text", "text", "text", "int4", "text", "text", "int8", "text", "int4", "timestamptz",
    "timestamptz", "timestamptz", "bool", "int8", "timestamptz", "text", "timestamptz",
)  # fmt: skip
#: Reads messages with their lists (``message_from_row``); callers append a clause on ``m``.
MESSAGE_SELECT = (
    "SELECT m.id, m.campaign_id, m.recipient, l.list_ids, m.status, m.reason, "
    "m.attempts::text, m.segments, m.queued_at, m.submitted_at, m.final_at, m.sent, m.version, "
    "m.zone, m.due_at FROM messages m JOIN list_sets l ON l.id = m.list_set "
)


def campaign_params(c: Campaign) -> tuple[Any, ...]:
    """A campaign's values, in ``CAMPAIGN_COLUMNS`` order."""
    return (
        c.id,
        c.name,
        c.sender,
        c.content,
        list(c.list_ids),
        c.status.value,
        c.created_at,
        c.scheduled_at,
        c.unit_price,
        c.currency,
        c.version,
    )


def campaign_from_row(row: Row) -> Campaign:
    """The campaign a row of ``CAMPAIGN_COLUMNS`` holds."""
    return _campaign((*row[:4], tuple(row[4]), *row[5:]))


@functools.lru_cache(maxsize=256)
def _campaign(row: Row) -> Campaign:
    # Cached by the row (a campaign is a frozen value, and its row changes with every version):
    # the engine reads its campaign on every event, and a Campaign checks all of its fields.
    return Campaign(
        id=row[0],
        name=row[1],
        sender=row[2],
        content=row[3],
        list_ids=row[4],
        status=row[5],
        created_at=row[6],
        scheduled_at=row[7],
        unit_price=row[8],
        currency=row[9],
        version=row[10],
    )


def message_row(
    m: Message, list_set: int, fragments: dict[MessageShape, tuple[Any, ...]]
) -> tuple[Any, ...]:
    """A message as a row of its table's columns (``COPY_MESSAGES`` order). ``fragments``
    caches, per shared shape, the columns every message of that shape has in common."""
    shape = m._shape
    fragment = fragments.get(shape)
    if fragment is None:
        reason = m.bounce_reason
        fragment = fragments[shape] = (
            list_set,
            m.status.value,
            None if reason is None else reason.value,
            encode_shape(
                list_set, reason, m.sent, m.segments, shape.attempts, shape.failed_attempts
            ),
        )
    attempts = m.attempts
    return (
        m.id,
        m.campaign_id,
        m.recipient,
        *fragment,
        _attempts_json(attempts) if attempts else None,
        m.segments,
        m.queued_at,
        m.submitted_at,
        m.final_at,
        m.sent,
        m.version,
        attempts[-1].submitted_at if attempts else None,
        m.zone,
        m.due_at,
    )


def message_from_row(
    row: Sequence[Any], list_ids: Mapping[int, tuple[str, ...]] | None = None
) -> Message:
    """The message a ``MESSAGE_SELECT`` row holds (with ``list_ids``: a row whose fourth column
    is the list set's id, and the lists of each id). Rows are written by this library from
    validated messages, so they are read back without running the validators again."""
    return built_message(
        row[0],
        row[1],
        row[2],
        tuple(row[3]) if list_ids is None else list_ids[row[3]],
        status_of(row[4]),
        reason_of(row[5]),
        _attempts(row[6]),
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
    )


def json_of(text: str) -> Any:
    """A JSON column read as text (``::text``), decoded."""
    return json.loads(text)
