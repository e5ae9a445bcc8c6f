"""Inbound messages: opt-out keywords recognised whatever the case, accents or punctuation, and
an inbound SMS attributed, as a reply or an unsubscribe, to the campaign last sent to its sender.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from sms_campaign_stats._core.defaults import named_default, repr_naming_defaults
from sms_campaign_stats._core.validate import describe
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.model import Message, Reply, Unsubscribe

__all__ = ["DEFAULT_STOP_WORDS", "StopWords", "attribute", "digest", "normalise_keyword"]

_SPACES = re.compile(r"[\s\-_]+")
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")


def normalise_keyword(text: str) -> str:
    """Upper case, accents removed, punctuation trimmed at both ends, inner spaces (and dashes,
    underscores) made single spaces: ``" Arrêt! "`` gives ``"ARRET"``.

    >>> normalise_keyword("stop-sms")
    'STOP SMS'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = _EDGES.sub("", plain.strip())
    return _SPACES.sub(" ", plain).upper()


def _keywords(value: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    if not isinstance(value, Mapping) or not value:
        raise ValidationError("StopWords.languages", "a mapping of language to keywords")
    result = {}
    for language, words in value.items():
        if not isinstance(language, str) or not language.strip():
            raise ValidationError("StopWords.languages", f"{describe(language)} is not a language")
        if isinstance(words, (str, bytes)) or not isinstance(words, Iterable):
            raise ValidationError("StopWords.languages", f"{language}: a collection of keywords")
        words = list(words)
        for word in words:
            if not isinstance(word, str) or len(word) > 200:
                raise ValidationError(
                    "StopWords.languages", f"{language}: {describe(word)} is not a keyword"
                )
        normalised = frozenset(normalise_keyword(word) for word in words)
        if not normalised or "" in normalised:
            raise ValidationError("StopWords.languages", f"{language}: empty keyword")
        result[language] = normalised
    return MappingProxyType(result)


@attrs.frozen
class StopWords:
    """Opt-out keywords per language. A whole inbound message equal to one of them (after
    ``normalise_keyword``) is an unsubscribe: "Stop", "ARRÊT.", "stop sms" are; "don't stop" is
    not (a keyword inside a sentence is a reply for a human to read)."""

    languages: Mapping[str, frozenset[str]] = attrs.field(converter=_keywords)
    _all: frozenset[str] = attrs.field(init=False, eq=False, repr=False)

    __repr__ = repr_naming_defaults  # DEFAULT_STOP_WORDS prints as its name

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_all", frozenset().union(*self.languages.values()))

    def match(self, text: str) -> str | None:
        """The keyword ``text`` is, normalised, or ``None``."""
        if not isinstance(text, str) or len(text) > 200:
            return None
        keyword = normalise_keyword(text)
        return keyword if keyword in self._all else None

    def with_language(self, language: str, words: Iterable[str]) -> StopWords:
        """A copy with more keywords for ``language``."""
        merged = {k: set(v) for k, v in self.languages.items()}
        merged.setdefault(language, set()).update(words)
        return StopWords(merged)


#: English and French keywords, as carriers and CTIA practice use them: the FCC's list,
#: 47 CFR 64.1200(a)(10) in force since 2025-04-11 ("stop, quit, end, revoke, opt out, cancel,
#: unsubscribe"), and Twilio's default list (STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE,
#: OPTOUT, CANCEL; see ``providers.OPT_OUT_KEYWORDS``); the French ARRET / STOP SMS of the 36xxx
#: short codes.
DEFAULT_STOP_WORDS = named_default(
    StopWords(
        {
            "en": [
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "CANCEL",
                "END",
                "QUIT",
                "REVOKE",
                "OPTOUT",
                "OPT OUT",
            ],
            "fr": ["STOP", "STOP SMS", "ARRET", "ARRÊT", "DESABONNER", "DÉSABONNEMENT"],
        }
    ),
    "DEFAULT_STOP_WORDS",
)


def digest(*parts: str) -> str:
    """A short stable id made of ``parts`` (for an inbound message, a carrier's opt-out)."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


def attribute(
    sender: str,
    text: str,
    at: datetime,
    *,
    latest: Message | None,
    stop_words: StopWords,
    inbound_id: str | None,
) -> Reply | Unsubscribe:
    """What ``text`` from ``sender`` (E.164) is: an ``Unsubscribe`` if it is one of
    ``stop_words``, else a ``Reply``; attributed to the campaign of ``latest``, the message last
    sent to that number within the reply window (``None``: no campaign). Without an
    ``inbound_id``, the id is made of the sender, the instant and the text: the same inbound
    message twice has one id."""
    campaign_id = None if latest is None else latest.campaign_id
    ident = inbound_id or f"in:{digest(sender, at.isoformat(), text)}"
    keyword = stop_words.match(text)
    if keyword is not None:
        return Unsubscribe(
            id=ident, recipient=sender, at=at, keyword=keyword, campaign_id=campaign_id
        )
    return Reply(id=ident, recipient=sender, at=at, text=text, campaign_id=campaign_id)
