"""Update the renderings' translation catalogs from the source, then compile them.

    python scripts/update_catalogs.py          # extract, merge into every .po, compile the .mo
    python scripts/update_catalogs.py --check  # exit 1 if a catalog is not current

The words to translate are every ``_()``, ``N_()``, ``ngettext()`` and ``pgettext()`` call in
``render/`` and ``notebook.py`` (read by Babel's extractor), and the CSV column names (in the
context ``csv column``). New words are added to each ``<language>/LC_MESSAGES/*.po`` with an
empty translation (to be written by hand), words no longer used are dropped, and the ``.mo``
beside each ``.po`` is compiled with Babel. ``tests/test_i18n.py`` fails while a word has no
translation or a ``.mo`` differs from its ``.po``.
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from sms_campaign_stats.render import CATALOG_DOMAIN as DOMAIN
from sms_campaign_stats.render import CSV_COLUMN_CONTEXT as COLUMN_CONTEXT
from sms_campaign_stats.render import CSV_COLUMNS as ALL_COLUMNS
from sms_campaign_stats.render import LANGUAGES, LOCALE_DIR

PACKAGE = LOCALE_DIR.parent
FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
SOURCES = (PACKAGE / "render", PACKAGE / "notebook.py")
HEADER = "Translations of the sms_campaign_stats reports (see scripts/update_catalogs.py)."


def template() -> Catalog:
    """Every word the renderings show, from the source."""
    catalog = Catalog(domain=DOMAIN, project="sms-campaign-stats", header_comment=f"# {HEADER}")
    for source in SOURCES:
        if source.is_dir():
            found = extract_from_dir(source, method_map=[("**.py", "python")])
            for name, line, message, _, context in found:
                catalog.add(message, locations=[(f"{source.name}/{name}", line)], context=context)
        else:
            found = extract_from_dir(
                source.parent, method_map=[(source.name, "python"), ("**", "ignore")]
            )
            for name, line, message, _, context in found:
                catalog.add(message, locations=[(name, line)], context=context)
    for column in ALL_COLUMNS:
        catalog.add(column, context=COLUMN_CONTEXT)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, header_comment=f"# {HEADER}")
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(
        out,
        catalog,
        width=100,
        omit_header=False,
        sort_output=True,
        include_previous=False,
        no_location=True,
        ignore_obsolete=True,
    )
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def updated(language: str) -> Catalog:
    """The language's catalog with the template's words: new ones empty, gone ones dropped."""
    catalog = read(language)
    catalog.update(template(), no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    # Fixed dates: the files change only when their words do.
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    catalog.last_translator = "sms_campaign_stats developers"
    catalog.language_team = "sms_campaign_stats developers"
    catalog.project, catalog.version = "sms-campaign-stats", "1"
    catalog.msgid_bugs_address = ""
    catalog.fuzzy = False
    return catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the files are current")
    args = parser.parse_args(argv)
    stale = []
    for language in LANGUAGES:
        if language == "en":  # the source language: no catalog
            continue
        catalog = updated(language)
        files = {po_path(language): po_bytes(catalog), po_path(language).with_suffix(".mo"): b""}
        # Compile what was written, so that the .mo always matches the .po byte for byte.
        with io.BytesIO(files[po_path(language)]) as written:
            files[po_path(language).with_suffix(".mo")] = mo_bytes(
                read_po(written, locale=language, domain=DOMAIN)
            )
        for path, data in files.items():
            if not path.exists() or path.read_bytes() != data:
                stale.append(path)
                if not args.check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
        missing = [m.id for m in catalog if m.id and not m.string]
        if missing:
            print(f"{language}: {len(missing)} words without a translation", file=sys.stderr)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path.relative_to(PACKAGE.parent.parent)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
