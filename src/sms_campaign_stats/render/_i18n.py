"""Languages: the renderings' words and how they write numbers, money and dates.

Words come from the gettext catalogs shipped in the package
(``sms_campaign_stats/locale/<language>/LC_MESSAGES/sms_campaign_stats.mo``, compiled from the
``.po`` beside it by ``scripts/update_catalogs.py``); the source texts are English, so English
needs no catalog. Numbers, percentages, money, dates and durations are written by Babel from
CLDR data: ``9,558``, ``95.61%``, ``€436.14`` in English, ``9 558``, ``95,61 %``, ``436,14 €``
in French (the spaces are CLDR's no-break spaces).

Money is rounded to the currency's decimals (CLDR: 2 for EUR, 0 for JPY), half up; a unit
price keeps every decimal it has (``€0.045``).
"""

from __future__ import annotations

import copy
import functools
import gettext
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_skeleton
from babel.lists import format_list
from babel.numbers import NumberPattern, format_currency, format_decimal, get_currency_precision
from babel.units import format_unit

from sms_campaign_stats._core.validate import describe
from sms_campaign_stats.errors import ValidationError

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Localizer",
    "localizer",
]

#: The gettext domain of the package's catalogs.
DOMAIN = "sms_campaign_stats"
#: Where the catalogs are: ``<LOCALE_DIR>/<language>/LC_MESSAGES/<DOMAIN>.mo``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: The languages every rendering speaks; a locale of another language is refused.
LANGUAGES = ("en", "fr")
DEFAULT_LOCALE = "en"

_UTC = timezone.utc


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "mark for translation")
    """Mark ``message`` for the catalogs without translating it (translated where shown)."""
    return message


def _two_decimals(pattern: NumberPattern) -> NumberPattern:
    copied = copy.copy(pattern)
    copied.frac_prec = (2, 2)
    return copied


class Localizer:
    """One locale's words and formats. Get one with ``localizer("fr")``."""

    def __init__(self, locale: Locale, translations: gettext.NullTranslations) -> None:
        self.locale = locale
        self.language: str = locale.language
        self._translations = translations
        self._percent = _two_decimals(locale.percent_formats[None])

    def __repr__(self) -> str:
        return f"localizer({str(self.locale)!r})"

    # words -------------------------------------------------------------------------------------

    def _(self, message: str) -> str:
        """``message`` in this language."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of ``singular``/``plural`` this language uses for ``count`` (a template:
        format it with the count)."""
        return self._translations.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        """``message`` in this language, where the same English word has several meanings."""
        return self._translations.pgettext(context, message)

    # numbers -----------------------------------------------------------------------------------

    def integer(self, value: int) -> str:
        """``9,558`` / ``9 558``."""
        return format_decimal(value, locale=self.locale)

    def number(self, value: float, *, digits: int = 1) -> str:
        """A decimal number with at most ``digits`` decimals."""
        return format_decimal(round(value, digits), locale=self.locale)

    def percent(self, value: float | None) -> str:
        """A percentage (``95.61`` -> ``95.61%`` / ``95,61 %``); ``-`` when there is none."""
        if value is None:
            return "-"
        return str(self._percent.apply(value / 100, self.locale))

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount in the currency's decimals (rounded half up): ``€436.14`` / ``436,14 €``."""
        digits = get_currency_precision(currency)
        rounded = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        return format_currency(rounded, currency, locale=self.locale)

    def price(self, amount: Decimal, currency: str) -> str:
        """A unit price, every decimal kept (at least the currency's): ``€0.045``."""
        return format_currency(amount, currency, locale=self.locale, decimal_quantization=False)

    # dates -------------------------------------------------------------------------------------

    def date_time(self, at: datetime) -> str:
        """A date and time in UTC, CLDR's medium form, with "UTC" after it."""
        return f"{format_datetime(at, 'medium', tzinfo=_UTC, locale=self.locale)} UTC"

    def day(self, at: datetime) -> str:
        """The day of ``at`` in UTC, short: ``Mar 3`` / ``3 mars``."""
        return format_skeleton("MMMd", at, tzinfo=_UTC, locale=self.locale)

    def time(self, at: datetime) -> str:
        """The time of ``at`` in UTC: ``09:00``."""
        return format_skeleton("Hm", at, tzinfo=_UTC, locale=self.locale)

    def duration(self, span: timedelta) -> str:
        """``1 day, 4 hours, 0 minutes`` without the zeros: ``1 day, 4 hours``; under a minute,
        seconds."""
        seconds = int(span.total_seconds())
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [
            format_unit(value, unit, length="long", locale=self.locale)
            for value, unit in (
                (days, "duration-day"),
                (hours, "duration-hour"),
                (minutes, "duration-minute"),
            )
            if value
        ]
        if not parts:
            parts = [format_unit(seconds, "duration-second", length="long", locale=self.locale)]
        return format_list(parts, style="unit", locale=self.locale)

    # names -------------------------------------------------------------------------------------

    def region(self, code: str | None) -> str:
        """A region's name in this language (``FR`` -> ``France``); ``None``: unknown."""
        if code is None:
            return self._("Unknown")
        return str(self.locale.territories.get(code, code))


def _parse(value: object) -> Locale:
    if value is None:
        return Locale.parse(DEFAULT_LOCALE)
    if not isinstance(value, str):
        raise ValidationError(
            "locale", f"expected a language code such as 'fr', got {describe(value)}"
        )
    try:
        locale = Locale.parse(value.strip().replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        locale = None
    if locale is None or locale.language not in LANGUAGES:
        raise ValidationError(
            "locale", f"{describe(value)} is not a language of the reports: {', '.join(LANGUAGES)}"
        )
    return locale


@functools.lru_cache(maxsize=32)
def _cached(tag: str) -> Localizer:
    locale = Locale.parse(tag)
    translations = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[tag, locale.language], fallback=True
    )
    return Localizer(locale, translations)


def localizer(locale: str | None = None) -> Localizer:
    """The ``Localizer`` of ``locale``: ``"en"`` (the default, also for ``None``), ``"fr"``, or
    one of their regional forms (``"fr_CA"``, ``"en-GB"``: the region's number formats).

    ``ValidationError`` (field ``locale``) for another language or a malformed code.
    """
    return _cached(str(_parse(locale)))
