"""Every error the library raises, in one place.

The tree (each error also subclasses the builtin a caller would naturally catch)::

    SmsCampaignStatsError
    ├── ValidationError (ValueError)            bad input to a constructor or a function:
    │   │                                       says which field, what was wrong, and the value
    │   └── UnknownTimeZoneError                not an IANA time zone name
    ├── InvalidTransitionError (ValueError)     a lifecycle event that is illegal in the
    │                                           current state; nothing was changed
    ├── MalformedReportError (ValueError)       a provider payload that is not a delivery report
    │   └── MalformedInboundError               a payload that is not an inbound message, or a
    │                                           text longer than an SMS can hold
    ├── UnknownProviderError (LookupError)      no provider of that name in a registry
    ├── OptionalDependencyError (ImportError)   an optional package (pandas, matplotlib) is
    │                                           missing: says which, and what to install
    ├── SendTimeError                           a send time the rules do not allow
    │   ├── OutsideAllowedHoursError            outside the allowed hours, and the policy is RAISE
    │   └── DeferralHorizonError                no allowed time within the deferral horizon
    └── StorageError                            anything a store could not do
        ├── NotFoundError (LookupError)         no campaign / message with that id
        ├── DuplicateError (ValueError)         an id (or a campaign's recipient) already stored
        ├── ConflictError                       a compare-and-set saw a newer version: another
        │                                       writer got there first; nothing was written
        ├── SchemaError                         a database file this version cannot open safely
        └── StorageBusyError                    the database stayed locked past the bounded wait

Errors carry structured attributes (``field``, ``state``, ``stored_version``, ...) so callers never
parse messages, and they survive pickling (they cross process boundaries in worker pools).
Phone numbers are masked in messages (``mask_numbers_in``: every form phonenumbers' matcher
reads as a number, ``+33 6 12 34 56 78``, ``0033612345678``, ``06 12 34 56 78``, ...),
whatever raised them: an error message may end up in a log. Structured attributes keep the
values as given (``MalformedReportError.raw`` is the payload as received).

Every constructor is documented below with what each argument is and an example: a store of your
own raises the ``StorageError`` branch exactly as the built-in stores do (``docs/storage.md``,
"Errors your store raises"). Each argument is kept as the attribute of the same name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sms_campaign_stats._core.privacy import mask_numbers_in

__all__ = [
    "ConflictError",
    "DeferralHorizonError",
    "DuplicateError",
    "InvalidTransitionError",
    "MalformedInboundError",
    "MalformedReportError",
    "NotFoundError",
    "OptionalDependencyError",
    "OutsideAllowedHoursError",
    "SchemaError",
    "SendTimeError",
    "SmsCampaignStatsError",
    "StorageBusyError",
    "StorageError",
    "UnknownProviderError",
    "UnknownTimeZoneError",
    "ValidationError",
]


def _rebuild(cls: type[SmsCampaignStatsError], message: str, attributes: Mapping[str, Any]) -> Any:
    """Recreate an error from its message and attributes (the pickle protocol's hook)."""
    error = cls.__new__(cls)
    SmsCampaignStatsError.__init__(error, message)
    for name, value in attributes.items():
        setattr(error, name, value)
    return error


class SmsCampaignStatsError(Exception):
    """Root of every error raised by sms_campaign_stats: catch it to catch them all.

    >>> error = SmsCampaignStatsError("no route to +33612345678")
    >>> str(error)
    'no route to +336******78'

    :param message: what went wrong, in words. Phone numbers in it are masked, so ``message``
        (and ``str(error)``) may differ from the text given.
    """

    def __init__(self, message: str) -> None:
        masked = mask_numbers_in(message)
        super().__init__(masked)
        self.message: str = masked

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        attributes = {k: v for k, v in self.__dict__.items() if k != "message"}
        return (_rebuild, (type(self), self.message, attributes))


class ValidationError(SmsCampaignStatsError, ValueError):
    """A value given to the library is not acceptable. Also a ``ValueError``.

    >>> error = ValidationError("Campaign.name", "must not be empty")
    >>> str(error)
    'Campaign.name: must not be empty'
    >>> error.field, isinstance(error, ValueError)
    ('Campaign.name', True)

    :param field: where the value was given: ``"Class.field"`` for a constructor's argument
        (``"Message.recipient"``), ``"function.argument"`` for a function's
        (``"forget.recipient"``).
    :param problem: what was wrong, in words: what was expected, and what was given.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UnknownTimeZoneError(ValidationError):
    """A time zone name that is not in the IANA database (``Etc/Unknown`` included). Its
    ``field`` is ``"zone"``.

    >>> str(UnknownTimeZoneError("Europe/Pariss"))
    "zone: 'Europe/Pariss' is not an IANA time zone name such as 'Europe/Paris'"

    :param zone: the name, as given.
    """

    def __init__(self, zone: str) -> None:
        super().__init__("zone", f"{zone!r} is not an IANA time zone name such as 'Europe/Paris'")
        self.zone = zone


class InvalidTransitionError(SmsCampaignStatsError, ValueError):
    """An event that the lifecycle table does not allow in the current state; nothing changed.

    >>> error = InvalidTransitionError("campaign 'promo'", "completed", "start", ())
    >>> str(error)
    "campaign 'promo': event 'start' is not allowed in state 'completed' (allowed events: ...)"
    >>> error.state, error.allowed
    ('completed', ())

    :param subject: whose lifecycle: ``"message 'promo:000042'"``, ``"campaign 'promo'"``.
    :param state: the current state's value (``"delivered"``).
    :param event: the event's value (``"submit"``).
    :param allowed: the values of the events the state allows; empty for a final state.
    """

    def __init__(self, subject: str, state: str, event: str, allowed: tuple[str, ...]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none: the state is final"
        super().__init__(
            f"{subject}: event {event!r} is not allowed in state {state!r} "
            f"(allowed events: {allowed_text})"
        )
        self.subject = subject
        self.state = state
        self.event = event
        self.allowed = allowed


class MalformedReportError(SmsCampaignStatsError, ValueError):
    """A provider payload that cannot be read as a delivery report. Also a ``ValueError``.

    >>> error = MalformedReportError("Twilio callback: no MessageSid", {"MessageStatus": "sent"})
    >>> str(error)
    'malformed delivery report: Twilio callback: no MessageSid'
    >>> error.raw
    {'MessageStatus': 'sent'}

    :param problem: what was wrong with it, in words.
    :param raw: the payload exactly as received (never masked: it is for your logs' owner).
    """

    def __init__(self, problem: str, raw: object) -> None:
        super().__init__(f"malformed delivery report: {problem}")
        self.problem = problem
        self.raw = raw


class MalformedInboundError(MalformedReportError):
    """A provider payload that cannot be read as an inbound message (a reply, a STOP), or whose
    text is longer than an SMS can hold. A ``MalformedReportError``, so one ``except`` catches
    what any provider parser refuses.

    >>> error = MalformedInboundError("Twilio inbound message: no From", {"Body": "STOP"})
    >>> str(error), isinstance(error, MalformedReportError)
    ('malformed inbound message: Twilio inbound message: no From', True)

    :param problem: what was wrong with it, in words.
    :param raw: the payload exactly as received.
    """

    def __init__(self, problem: str, raw: object) -> None:
        SmsCampaignStatsError.__init__(self, f"malformed inbound message: {problem}")
        self.problem = problem
        self.raw = raw


class UnknownProviderError(SmsCampaignStatsError, LookupError):
    """No provider of that name is registered (``providers.ProviderRegistry``). Also a
    ``LookupError``.

    >>> error = UnknownProviderError("nope", ("smpp", "twilio"))
    >>> str(error)
    "no provider named 'nope' is registered (known: smpp, twilio)"
    >>> error.name, error.known, isinstance(error, LookupError)
    ('nope', ('smpp', 'twilio'), True)

    :param name: the name asked for.
    :param known: the names the registry has.
    """

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no provider named {name!r} is registered (known: {', '.join(known)})")
        self.name = name
        self.known = known


class OptionalDependencyError(SmsCampaignStatsError, ImportError):
    """An optional package a feature needs is not installed. Also an ``ImportError``.

    >>> str(OptionalDependencyError("pandas"))
    "sms_campaign_stats.notebook needs pandas, which is not installed: pip install '...[notebook]'"

    :param package: the package's name (``"pandas"``).
    :param feature: what needs it; the message says what to install (the ``notebook`` extra
        brings pandas and matplotlib).
    """

    def __init__(self, package: str, feature: str = "sms_campaign_stats.notebook") -> None:
        super().__init__(
            f"{feature} needs {package}, which is not installed: "
            "pip install 'sms-campaign-stats[notebook]'"
        )
        self.package = package
        self.feature = feature


class SendTimeError(SmsCampaignStatsError):
    """A message cannot be sent at the time asked for: the two errors below.

    :param message: what went wrong, in words.
    """


class OutsideAllowedHoursError(SendTimeError):
    """Outside the allowed hours, under the RAISE policy.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 5, 10, 12, 0, tzinfo=timezone.utc)
    >>> monday = datetime(2026, 5, 11, 6, 0, tzinfo=timezone.utc)
    >>> error = OutsideAllowedHoursError("fr-af2m-2024", at, monday)
    >>> str(error)
    "2026-05-10T12:00:00+00:00 is outside the hours rule 'fr-af2m-2024' allows; next allowed ..."
    >>> error.next_allowed.isoformat()
    '2026-05-11T06:00:00+00:00'

    :param rule_id: the id of the send-time rule that refused (``"fr-af2m-2024"``).
    :param at: the time asked for (aware, UTC).
    :param next_allowed: the first time the rule allows after ``at``, or ``None`` if none.
    """

    def __init__(self, rule_id: str, at: datetime, next_allowed: datetime | None) -> None:
        when = f"; next allowed {next_allowed.isoformat()}" if next_allowed else ""
        super().__init__(f"{at.isoformat()} is outside the hours rule {rule_id!r} allows{when}")
        self.rule_id = rule_id
        self.at = at
        self.next_allowed = next_allowed


class DeferralHorizonError(SendTimeError):
    """The next allowed time is further away than the deferral horizon (or there is none).

    >>> from datetime import datetime, timedelta, timezone
    >>> at = datetime(2026, 5, 10, 12, 0, tzinfo=timezone.utc)
    >>> str(DeferralHorizonError("fr-af2m-2024", at, timedelta(days=30)))
    "rule 'fr-af2m-2024' allows no send time within 30 days, 0:00:00 of 2026-05-10T12:00:00+00:00"

    :param rule_id: the id of the send-time rule.
    :param at: the time asked for (aware, UTC).
    :param horizon: how far ahead a send may be deferred.
    """

    def __init__(self, rule_id: str, at: datetime, horizon: timedelta) -> None:
        super().__init__(
            f"rule {rule_id!r} allows no send time within {horizon} of {at.isoformat()}"
        )
        self.rule_id = rule_id
        self.at = at
        self.horizon = horizon


class StorageError(SmsCampaignStatsError):
    """A store could not complete an operation; nothing was half-written.

    Raise it as it is for a failure none of its subclasses names (a store used after
    ``close()``, a database error of your own backend), chaining the cause.

    >>> str(StorageError("the store is closed"))
    'the store is closed'

    :param message: what went wrong, in words (phone numbers in it are masked).
    """


class NotFoundError(StorageError, LookupError):
    """No stored object of that kind has that id. Also a ``LookupError``.

    >>> error = NotFoundError("campaign", "promo")
    >>> str(error)
    "no campaign with id 'promo' is stored"
    >>> error.kind, error.key, isinstance(error, LookupError)
    ('campaign', 'promo', True)

    :param kind: what was looked for: ``"campaign"``, ``"message"``.
    :param key: the id asked for.
    """

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} with id {key!r} is stored")
        self.kind = kind
        self.key = key


class DuplicateError(StorageError, ValueError):
    """An object with the same identity is already stored; nothing of the batch was written.
    Also a ``ValueError``.

    >>> str(DuplicateError("campaign", "promo"))
    "campaign 'promo' is already stored"
    >>> str(DuplicateError("provider message id", "SM1", "it belongs to message 'promo:000001'"))
    "provider message id 'SM1' is already stored (it belongs to message 'promo:000001')"

    :param kind: what was stored twice: ``"campaign"``, ``"message"``, ``"provider message
        id"``.
    :param key: its id.
    :param detail: optional, what it clashes with (the built-in stores say which campaign
        already has a message to that recipient, or which message owns a provider id).
    """

    def __init__(self, kind: str, key: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{kind} {key!r} is already stored{suffix}")
        self.kind = kind
        self.key = key
        self.detail = detail


class ConflictError(StorageError):
    """A compare-and-set failed: the stored version is not the one the write was based on.
    Nothing was written; read again and re-apply the change.

    >>> error = ConflictError("message", "promo:000042", 3, 4)
    >>> str(error)
    "message 'promo:000042' changed since it was read: the write was based on version 3 but ..."
    >>> error.stored_version
    4

    :param kind: what was written: ``"campaign"``, ``"message"``.
    :param key: its id.
    :param expected_version: the ``version`` of the value the write was based on (as read).
    :param stored_version: the version the store holds now.
    """

    def __init__(self, kind: str, key: str, expected_version: int, stored_version: int) -> None:
        super().__init__(
            f"{kind} {key!r} changed since it was read: the write was based on version "
            f"{expected_version} but version {stored_version} is stored; re-read and retry"
        )
        self.kind = kind
        self.key = key
        self.expected_version = expected_version
        self.stored_version = stored_version


class SchemaError(StorageError):
    """The database was not made by this library, or by a version this one cannot read; it was
    left untouched.

    >>> str(SchemaError("campaigns.db", "not an sms_campaign_stats database"))
    'campaigns.db: not an sms_campaign_stats database'

    :param path: the database's path (or the name your backend knows it by).
    :param problem: what is wrong with it, in words.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class StorageBusyError(StorageError):
    """The database stayed locked by other writers for longer than the configured wait.
    Nothing was written: the operation can be retried.

    >>> str(StorageBusyError("campaigns.db", 10.0))
    'campaigns.db: the database stayed locked by another writer for 10 s; nothing was written, ...'

    :param path: the database's path (or the name your backend knows it by).
    :param waited_seconds: how long the store waited for the lock, in seconds, in all.
    """

    def __init__(self, path: str, waited_seconds: float) -> None:
        super().__init__(
            f"{path}: the database stayed locked by another writer for {waited_seconds:g} s; "
            "nothing was written, the operation can be retried"
        )
        self.path = path
        self.waited_seconds = waited_seconds
