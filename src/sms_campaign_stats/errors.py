"""Every error the library raises, in one place.

The tree (each error also subclasses the builtin a caller would naturally catch)::

    SmsCampaignStatsError
    ├── ValidationError (ValueError)            bad input to a constructor or a function:
    │   │                                       says which field, what was wrong, and the value
    │   └── UnknownTimeZoneError                not an IANA time zone name
    ├── InvalidTransitionError (ValueError)     a lifecycle event that is illegal in the
    │                                           current state; nothing was changed
    ├── MalformedReportError (ValueError)       a provider payload that is not a delivery report
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
Phone numbers are masked in messages (``mask_numbers_in``: every ``+`` and 8 or more digits),
whatever raised them: an error message may end up in a log. Structured attributes keep the
values as given (``MalformedReportError.raw`` is the payload as received).
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
    "MalformedReportError",
    "NotFoundError",
    "OptionalDependencyError",
    "OutsideAllowedHoursError",
    "SchemaError",
    "SendTimeError",
    "SmsCampaignStatsError",
    "StorageBusyError",
    "StorageError",
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
    """Root of every error raised by sms_campaign_stats."""

    def __init__(self, message: str) -> None:
        masked = mask_numbers_in(message)
        super().__init__(masked)
        self.message = masked

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        attributes = {k: v for k, v in self.__dict__.items() if k != "message"}
        return (_rebuild, (type(self), self.message, attributes))


class ValidationError(SmsCampaignStatsError, ValueError):
    """A value given to the library is not acceptable.

    ``field`` names where (``"Message.recipient"``), ``problem`` says what was wrong.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UnknownTimeZoneError(ValidationError):
    """A time zone name that is not in the IANA database (``Etc/Unknown`` included)."""

    def __init__(self, zone: str) -> None:
        super().__init__("zone", f"{zone!r} is not an IANA time zone name such as 'Europe/Paris'")
        self.zone = zone


class InvalidTransitionError(SmsCampaignStatsError, ValueError):
    """An event that the lifecycle table does not allow in the current state."""

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
    """A provider payload that cannot be read as a delivery report.

    ``raw`` is the payload exactly as received; ``problem`` says what was wrong.
    """

    def __init__(self, problem: str, raw: object) -> None:
        super().__init__(f"malformed delivery report: {problem}")
        self.problem = problem
        self.raw = raw


class OptionalDependencyError(SmsCampaignStatsError, ImportError):
    """An optional package a feature needs is not installed.

    ``package`` names it; the message says what to install (the ``notebook`` extra brings
    pandas and matplotlib).
    """

    def __init__(self, package: str, feature: str = "sms_campaign_stats.notebook") -> None:
        super().__init__(
            f"{feature} needs {package}, which is not installed: "
            "pip install 'sms-campaign-stats[notebook]'"
        )
        self.package = package
        self.feature = feature


class SendTimeError(SmsCampaignStatsError):
    """A message cannot be sent at the time asked for."""


class OutsideAllowedHoursError(SendTimeError):
    """Outside the allowed hours, under the RAISE policy. ``next_allowed`` says when it would be."""

    def __init__(self, rule_id: str, at: datetime, next_allowed: datetime | None) -> None:
        when = f"; next allowed {next_allowed.isoformat()}" if next_allowed else ""
        super().__init__(f"{at.isoformat()} is outside the hours rule {rule_id!r} allows{when}")
        self.rule_id = rule_id
        self.at = at
        self.next_allowed = next_allowed


class DeferralHorizonError(SendTimeError):
    """The next allowed time is further away than the deferral horizon (or there is none)."""

    def __init__(self, rule_id: str, at: datetime, horizon: timedelta) -> None:
        super().__init__(
            f"rule {rule_id!r} allows no send time within {horizon} of {at.isoformat()}"
        )
        self.rule_id = rule_id
        self.at = at
        self.horizon = horizon


class StorageError(SmsCampaignStatsError):
    """A store could not complete an operation; nothing was half-written."""


class NotFoundError(StorageError, LookupError):
    """No stored object of that kind has that id."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} with id {key!r} is stored")
        self.kind = kind
        self.key = key


class DuplicateError(StorageError, ValueError):
    """An object with the same identity is already stored."""

    def __init__(self, kind: str, key: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{kind} {key!r} is already stored{suffix}")
        self.kind = kind
        self.key = key
        self.detail = detail


class ConflictError(StorageError):
    """A compare-and-set failed: the stored version is not the one the write was based on."""

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
    """The database file was not made by this library, or by a version this one cannot read."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class StorageBusyError(StorageError):
    """The database stayed locked by other writers for longer than the configured wait."""

    def __init__(self, path: str, waited_seconds: float) -> None:
        super().__init__(
            f"{path}: the database stayed locked by another writer for {waited_seconds:g} s; "
            "nothing was written, the operation can be retried"
        )
        self.path = path
        self.waited_seconds = waited_seconds
