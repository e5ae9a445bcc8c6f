"""What ``Storage.forget`` writes in place of a number: salted, keyed hashes.

Each store draws a random salt once, when it is created (``secrets``: randomness for secrecy,
never for a decision, so results stay reproducible), and keeps it. From the salt and a number:

* ``pseudonym``: what replaces the number in messages, replies, unsubscribes and orphan
  reports. It must still be a valid E.164 value (``Message``, ``Reply`` and ``Unsubscribe``
  validate their recipient), so it is ``+999`` (a country code the ITU keeps unassigned: no
  real number starts with it) then 12 digits of the keyed hash. The same number gives the same
  pseudonym everywhere in one store, so every count stays exactly as it was.
* in orphan reports (free text a provider sent: Twilio's "The 'To' number +33612345678 is not
  valid"), ``scrub`` replaces by the pseudonym every string equal to the number, and inside
  any other string every occurrence of it: as given or without its ``+`` (as a word of its own:
  not inside a longer run of digits nor glued to letters, as in an id ``x33612345678``), and
  in any other form the masking's matcher reads as the same E.164 number (``0033612345678``,
  ``06 12 34 56 78``, ``+33 (0)6 12 34 56 78``; see ``_core.privacy.find_numbers``).
* ``blocklist_key``: what replaces the number in the blocklist, ``forgotten:`` then the whole
  keyed hash in hex; never a number, so it can only be found by hashing a number again
  (``blocked`` and ``block`` do), and the number stays blocked.

Anyone who holds the store (and so its salt) can still test a guessed number; the salt keeps
hashes from being compared across stores or looked up in precomputed tables.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any

from sms_campaign_stats._core.privacy import find_numbers
from sms_campaign_stats.errors import ValidationError

__all__ = [
    "FORGOTTEN_BLOCK_PREFIX",
    "PSEUDONYM_PREFIX",
    "blocklist_key",
    "check_forgettable",
    "new_salt",
    "pseudonym",
    "scrub",
]

#: Pseudonyms start with this: "+", then the unassigned country code 999.
PSEUDONYM_PREFIX = "+999"
#: Blocklist entries of forgotten numbers start with this.
FORGOTTEN_BLOCK_PREFIX = "forgotten:"
_PSEUDONYM_DIGITS = 12
_MAX_NUMBER = 64  # as Message keeps a refused number as written


def new_salt() -> bytes:
    """A store's salt: 32 random bytes, drawn once when the store is created."""
    return secrets.token_bytes(32)


def _keyed_hash(salt: bytes, number: str) -> str:
    return hmac.new(salt, number.encode(), hashlib.sha256).hexdigest()


def pseudonym(salt: bytes, number: str) -> str:
    """The E.164-shaped stand-in for ``number`` in this store."""
    digits = int(_keyed_hash(salt, number)[:16], 16) % 10**_PSEUDONYM_DIGITS
    return f"{PSEUDONYM_PREFIX}{digits:0{_PSEUDONYM_DIGITS}d}"


def blocklist_key(salt: bytes, number: str) -> str:
    """The blocklist entry of ``number`` once forgotten."""
    return FORGOTTEN_BLOCK_PREFIX + _keyed_hash(salt, number)


def check_forgettable(recipient: object) -> str:
    """``recipient`` as given, if it can be a stored number (and is not already a pseudonym)."""
    if not isinstance(recipient, str) or not recipient.strip() or len(recipient) > _MAX_NUMBER:
        raise ValidationError("forget.recipient", "expected a phone number as stored")
    if recipient.startswith(PSEUDONYM_PREFIX):
        raise ValidationError("forget.recipient", "this is already a forgotten number's pseudonym")
    return recipient


def _spellings(number: str) -> frozenset[str]:
    """The ways a provider may write ``number`` in a report: as given, and without the '+'."""
    return frozenset({number, number.removeprefix("+")})


_MIN_DIGITS = 8  # as the masking: a shorter text is not searched for inside other strings


def _inside(number: str) -> re.Pattern[str] | None:
    """``number`` as given or without its '+', as a word of its own (not inside a longer run of
    digits, nor glued to letters: ``x33612345678`` is an id, not the number); ``None`` for a
    number of fewer than 8 digits (a refused number such as ``"0612"`` would match anything)."""
    if sum(map(str.isdigit, number)) < _MIN_DIGITS:
        return None
    spellings = sorted(_spellings(number), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, spellings)) + r")(?!\w)")


def _scrub_text(text: str, number: str, alias: str, inside: re.Pattern[str] | None) -> str:
    """``text`` with every occurrence of ``number`` (any form the matcher reads as it, and as
    given or without '+') replaced by ``alias``."""
    spans = [(start, end) for start, end, e164 in find_numbers(text) if e164 == number]
    if spans:
        pieces: list[str] = []
        done = 0
        for start, end in spans:
            pieces += (text[done:start], alias)
            done = end
        pieces.append(text[done:])
        text = "".join(pieces)
    return text if inside is None else inside.sub(alias, text)


def scrub(report: Any, number: str, alias: str) -> tuple[Any, bool]:
    """``report`` with ``number`` replaced by ``alias`` in nested mappings (keys too) and lists:
    a string equal to it (with or without '+') wholly, and inside other strings every form of
    it (see the module's doc); and whether anything was replaced."""
    spellings = _spellings(number)
    inside = _inside(number)
    found = False

    def text(value: str) -> str:
        nonlocal found
        if value in spellings:
            found = True
            return alias
        cleaned = _scrub_text(value, number, alias, inside)
        if cleaned != value:
            found = True
        return cleaned

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, Mapping):
            return {(text(k) if isinstance(k, str) else k): walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item) for item in value]
        return value

    cleaned = walk(report)
    return cleaned, found
