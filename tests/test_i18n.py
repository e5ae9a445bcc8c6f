"""French and English (issue 15, point 6): the catalogs shipped in the package are current and
complete, the .mo is the .po compiled, Babel writes the numbers, and the French words are
Brevo's."""

from __future__ import annotations

import io
import re
import string
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from sms_campaign_stats import ValidationError
from sms_campaign_stats.render import CATALOG_DOMAIN as DOMAIN
from sms_campaign_stats.render import LOCALE_DIR, localizer

from .test_renderings import HISTORY, REPORT, STATISTICS, Page

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import update_catalogs  # noqa: E402

PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")


def french_catalog() -> object:
    with PO.open("rb") as file:
        return read_po(file, locale="fr", domain=DOMAIN)


def test_the_catalogs_are_current() -> None:
    """Every word the source marks is in the .po (and nothing else): ``scripts/update_catalogs.py
    --check`` finds nothing to do."""
    assert 0 == update_catalogs.main(["--check"])


def test_every_word_has_a_french_translation() -> None:
    """No empty and no fuzzy translation; every plural has its forms."""
    catalog = french_catalog()
    for message in catalog:  # type: ignore[attr-defined]
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), message.id


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_translations_keep_the_placeholders() -> None:
    """A translation names the same ``{fields}`` as its English text."""
    for message in french_catalog():  # type: ignore[attr-defined]
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(_fields(text) for text in ids))
        for form in forms:
            assert _fields(form) <= expected, (message.id, form)
            assert _fields(form) >= _fields(ids[0]) - {"count"}, (message.id, form)


def test_the_mo_is_the_po_compiled() -> None:
    """The shipped .mo holds exactly the .po's translations, byte for byte as Babel compiles
    them."""
    with PO.open("rb") as file:
        written = file.read()
    with io.BytesIO(written) as source:
        expected = update_catalogs.mo_bytes(read_po(source, locale="fr", domain=DOMAIN))
    assert expected == MO.read_bytes()
    with MO.open("rb") as file:
        compiled = read_mo(file)
    po = french_catalog()

    def shape(value: object) -> object:
        return value if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]

    assert {
        (shape(m.id), m.context): shape(m.string)
        for m in po  # type: ignore[attr-defined]
        if m.id
    } == {(shape(m.id), m.context): shape(m.string) for m in compiled if m.id}


def test_no_word_hides_in_an_f_string() -> None:
    """The extractor cannot see a ``_()`` call inside an f-string: words are translated
    outside them."""
    pattern = re.compile(r"""f["'].*\{[^}]*\b(_|ngettext|pgettext)\(""")
    for source in (*update_catalogs.SOURCES[0].glob("*.py"), update_catalogs.SOURCES[1]):
        for number, line in enumerate(source.read_text("utf-8").splitlines(), 1):
            assert not pattern.search(line), f"{source.name}:{number}: {line.strip()}"


def test_babel_writes_numbers_percentages_money_and_dates() -> None:
    """The issue's examples: 9 558, 95,61 %, 436,14 € in French (CLDR's no-break spaces)."""
    fr, en = localizer("fr"), localizer("en")
    assert "9\u202f558" == fr.integer(9558)
    assert "95,61\u00a0%" == fr.percent(95.6116)
    assert "436,14\u00a0€" == fr.money(Decimal("436.14"), "EUR")
    assert ("9,558", "95.61%", "€436.14") == (
        en.integer(9558),
        en.percent(95.6116),
        en.money(Decimal("436.14"), "EUR"),
    )
    # The currency's decimals, rounded half up; a unit price keeps its own.
    assert ("€4.55", "¥5", "€0.045") == (
        en.money(Decimal("4.545"), "EUR"),
        en.money(Decimal("4.5"), "JPY"),
        en.price(Decimal("0.045"), "EUR"),
    )
    assert "-" == fr.percent(None)


def test_french_report_uses_brevos_words() -> None:
    """Délivrés, soft bounces, hard bounces, en cours de traitement, réponses, désinscriptions:
    the words of Brevo's French report page, in every rendering."""
    text = REPORT.to_text(locale="fr")
    page = "".join(Page(REPORT.to_html(locale="fr")).text)
    for word in (
        "Délivrés",
        "Soft bounces",
        "Hard bounces",
        "En cours de traitement",
        "Réponses",
        "Désinscriptions",
    ):
        assert word in text
        assert word in page
    header = REPORT.to_csv(locale="fr")["summary.csv"].splitlines()[0].split(",")
    assert {"délivrés", "soft_bounces", "hard_bounces", "en_cours_de_traitement"} <= set(header)
    assert {"réponses", "désinscriptions"} <= set(header)
    assert '<html lang="fr">' in REPORT.to_html(locale="fr")


def test_english_is_the_default() -> None:
    """No locale, None and "en" are the same rendering; regional forms are accepted."""
    assert REPORT.to_text() == REPORT.to_text(locale=None) == REPORT.to_text(locale="en")
    assert STATISTICS.to_text(locale="fr") == STATISTICS.to_text(locale="fr-FR")
    assert "€0.45" in REPORT.to_text(locale="en_GB")


@pytest.mark.parametrize("locale", ["de", "zz", "", "fr_XX_bogus!", 3])
def test_other_languages_are_refused(locale: object) -> None:
    """A language the catalogs do not have is a ValidationError naming ``locale``."""
    with pytest.raises(ValidationError) as caught:
        REPORT.to_text(locale=locale)  # type: ignore[arg-type]
    assert "locale" == caught.value.field


def test_every_rendering_speaks_french() -> None:
    """Text, HTML, CSV headers, e-mail (subject, bodies, attachments) and histories."""
    message = REPORT.to_email(
        to="ops@example.com", sender="r@x.example", history=HISTORY, locale="fr"
    )
    assert "Rapport de campagne : Spring sale (spring-sale)" == message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None
    assert "Délivrés" in body.get_content()
    names = [part.get_filename() for part in message.iter_attachments()]
    assert ["summary.csv", "lists.csv", "bounce_reasons.csv", "history.csv"] == names
    assert "Historique de Spring sale (spring-sale)" in HISTORY.to_text(locale="fr")
    assert "date,type,détails" == HISTORY.to_csv(locale="fr")["history.csv"].splitlines()[0]
    assert "Statistiques des campagnes" in STATISTICS.to_html(locale="fr")
