"""The ``check-number`` command: can this number receive a marketing SMS, and when.

It reads the clock when no ``--at`` is given.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytz

from sms_campaign_stats.cli._common import (
    EXIT_NOT_NOW,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    MAX_ECHO,
    PROG,
    UTC,
    _cut,
    _cut_words,
    _UserError,
    _write,
)
from sms_campaign_stats.errors import DeferralHorizonError, ValidationError
from sms_campaign_stats.phone_numbers import NumberCheck, check_number
from sms_campaign_stats.quiet_hours import SendTimeDecision, plan_send_time, rule_for

__all__: list[str] = []

#: How far ahead check-number looks for the next allowed instant.
_HORIZON = timedelta(days=400)


# check-number ---------------------------------------------------------------------------------


def _instant(text: str) -> datetime:
    """An ISO 8601 instant with its UTC offset (``Z`` accepted), in UTC. Naive times are refused:
    the instant a number may be texted depends on it."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{_cut(text)!r} is not an ISO 8601 time such as 2026-05-09T20:30:00Z"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{_cut(text)!r} has no UTC offset: write 2026-05-09T20:30:00Z (UTC) or give the "
            "offset, e.g. 2026-05-09T22:30:00+02:00"
        )
    return parsed.astimezone(UTC)


def _check_arguments(check: argparse.ArgumentParser) -> None:
    """The options of check-number, after its name and description in _cli.py."""
    check.add_argument(
        "number",
        nargs="+",
        help="the number, e.g. +33612345678 or '+33 6 12 34 56 78' (unquoted parts are joined)",
    )
    check.add_argument(
        "--at",
        type=_instant,
        metavar="TIME",
        help="the instant, ISO 8601 with its offset, e.g. 2026-05-09T20:30:00Z (default: now)",
    )
    check.add_argument(
        "--region",
        metavar="XX",
        help="the country of numbers written the national way, e.g. FR for '06 12 34 56 78'",
    )
    check.add_argument(
        "--subdivision",
        metavar="CODE",
        help="the recipient's state or department when its rules differ, e.g. TX, 57",
    )
    check.add_argument(
        "--zone", metavar="IANA", help="the recipient's time zone, when known (e.g. Europe/Paris)"
    )


def _local(at: datetime, zone: str) -> str:
    local = at.astimezone(pytz.timezone(zone))
    return f"{local:%A %Y-%m-%d %H:%M %Z} in {zone}"


def _when(at: datetime, zones: Sequence[str]) -> list[str]:
    lines = [f"{at:%Y-%m-%d %H:%M} UTC ({at:%A})"]
    lines += [_local(at, zone) for zone in zones[:3]]
    if len(zones) > 3:
        lines.append(f"(and {len(zones) - 3} more zones)")
    return lines


def _describe_rule(rule: object) -> str:
    if rule is None:
        return "none: the number's country is unknown"
    inner = getattr(rule, "rules", None)
    if isinstance(inner, tuple):
        return "; and ".join(_describe_rule(r) for r in inner)
    describe = getattr(rule, "describe", None)
    if callable(describe):
        return f"{getattr(rule, 'id', '')}: {describe()}"
    return str(getattr(rule, "reason", getattr(rule, "id", "")))


def _field(label: str, lines: Sequence[str]) -> str:
    """A labelled field, its lines wrapped to fit 100 columns."""
    wrapped = [part for line in lines for part in textwrap.wrap(line, 100 - 14) or [""]]
    return "\n".join(f"{label if i == 0 else '':<14}{line}" for i, line in enumerate(wrapped))


def _check_number(args: argparse.Namespace) -> int:
    at: datetime = args.at if args.at is not None else datetime.now(UTC).replace(microsecond=0)
    number = " ".join(args.number)
    # Region codes in any case: --region fr is FR.
    region = args.region.strip().upper() if args.region is not None else None
    try:
        check = check_number(number, default_region=region)
    except ValidationError:
        raise _UserError(
            EXIT_USAGE,
            f"--region: {_cut(args.region)!r} is not a two-letter region code such as FR",
        ) from None
    out = [_field("Number", [_cut(number)])]
    if not check.ok:
        return _refused(number, check, out)
    out += [
        _field("Valid", [f"yes: {check.e164}"]),
        _field("Line type", [check.line_type.value]),
        _field("Region", [check.region or "unknown"]),
        _field("Time zones", [", ".join(check.time_zones) or "unknown"]),
    ]
    try:
        rule = (
            None if check.region is None else rule_for(check.region, subdivision=args.subdivision)
        )
        decision: SendTimeDecision | None = plan_send_time(
            at,
            country=check.region,
            candidate_zones=check.time_zones,
            subdivision=args.subdivision,
            explicit_zone=args.zone,
            rule=rule,
            horizon=_HORIZON,
        )
    except DeferralHorizonError:
        decision = None
    except ValidationError as error:  # it quotes the value refused (--zone): cut it
        option = _OPTIONS.get(error.field, error.field)
        raise _UserError(EXIT_USAGE, _cut_words(f"{option}: {error.problem}", MAX_ECHO)) from None
    zones = decision.zones if decision is not None and decision.zones else check.time_zones
    out += [_field("At", _when(at, zones)), _field("Rule", [_describe_rule(rule)])]
    if decision is None:
        out.append(_field("Marketing SMS", [f"never allowed within {_HORIZON.days} days"]))
        code = EXIT_NOT_NOW
    elif decision.action == "send":
        out.append(_field("Marketing SMS", [f"allowed at that time: {decision.explanation}"]))
        code = EXIT_OK
    elif decision.send_at is None:
        out.append(
            _field("Marketing SMS", ["cannot tell: " + decision.explanation + " (--zone IANA)"])
        )
        code = EXIT_NOT_NOW
    else:
        out.append(_field("Marketing SMS", [f"not allowed at that time: {decision.explanation}"]))
        out.append(_field("Next allowed", _when(decision.send_at, decision.zones)))
        code = EXIT_NOT_NOW
    _write("\n".join(out), None)
    return code


#: The library's argument names, as the command line's options (an error names the option).
_OPTIONS = {
    "zone": "--zone",
    "explicit_zone": "--zone",
    "subdivision": "--subdivision",
    "country": "--region",
    "default_region": "--region",
    "at": "--at",
    "now": "--at",
}


def _option_names(detail: str) -> str:
    """The library's message with the command line's option names: ``default_region`` is
    ``--region`` here."""
    return detail.replace("default_region", "--region")


def _refused(number: str, check: NumberCheck, out: list[str]) -> int:
    reason = "unknown" if check.reason is None else check.reason.value
    detail = _option_names(check.detail or reason)
    out.append(_field("Valid", [f"no: {reason} ({detail})"]))
    if check.e164 is not None:
        out += [
            _field("E.164", [check.e164]),
            _field("Line type", [check.line_type.value]),
            _field("Region", [check.region or "unknown"]),
        ]
    _write("\n".join(out), None)
    print(f"{PROG} check-number: {_cut(number)!r} cannot receive an SMS: {detail}", file=sys.stderr)
    return EXIT_REFUSED
