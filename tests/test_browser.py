"""The HTML report and statistics page in a real browser (issue 15, point 7).

Playwright for Python drives Debian's Chromium (``tests/browser.py``): the demo's report and
statistics, in English and French, at 390 and 1280 pixels and printed on A4 portrait. In each:
no one-word table cell wraps onto a second line, the page never scrolls sideways (a wide table
scrolls inside its own frame on screen, and fits the paper in print), every chart has a size and
a text alternative, and no request leaves the document.

Under ``CI=true`` a browser that cannot start fails these tests; elsewhere they are skipped with
one line saying why. The documentation's screenshot is taken every run; ``UPDATE_SCREENSHOTS=1``
writes it to ``docs/images/report-fr.png``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import (
    A4_PRINTABLE_WIDTH,
    WIDTHS,
    BrowserUnavailableError,
    chromium,
    demo_html,
    measure,
    open_page,
)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "images" / "report-fr.png"
#: Enough contacts for every section (countries, reasons, retries over hours), quickly.
RECIPIENTS = 2_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module; a skip (or, under CI, a failure) when it cannot start."""
    try:
        with chromium() as context:
            yield context
    except BrowserUnavailableError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run in CI: {error}")
        pytest.skip(f"no browser: {error}")


PAGES = [(kind, locale) for kind in ("report", "statistics") for locale in ("en", "fr")]


@pytest.fixture(scope="module")
def pages() -> dict[tuple[str, str], str]:
    """The demo's report (with its history) and statistics page, in both languages."""
    return {
        (kind, locale): demo_html(locale, recipients=RECIPIENTS, statistics=kind == "statistics")
        for kind, locale in PAGES
    }


def check(found: dict[str, Any], *, screen: bool) -> None:
    assert [] == found["wrapped"], "one-word cells on two lines"
    assert found["scrollWidth"] <= found["viewport"], "the page scrolls sideways"
    assert [] == found["outside"], "elements beyond the page's right edge"
    if not screen:
        assert [] == found["clipped"], "a table wider than the paper"
    assert found["charts"], "no chart"
    for chart in found["charts"]:
        assert "img" == chart["role"]
        assert chart["width"] > 0
        assert chart["height"] > 0
        assert chart["alternative"].strip(), chart


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("kind", "locale"), PAGES)
def test_on_screen(
    browser: Any, pages: dict[tuple[str, str], str], kind: str, locale: str, width: int
) -> None:
    """At a phone's and a laptop's width."""
    page = open_page(browser, pages[kind, locale], width=width)
    try:
        check(measure(page), screen=True)
        assert [] == browser.requests
    finally:
        page.close()


@pytest.mark.parametrize(("kind", "locale"), PAGES)
def test_printed_on_a4(
    browser: Any, pages: dict[tuple[str, str], str], kind: str, locale: str, tmp_path: Path
) -> None:
    """In print media, at A4 portrait's printable width, and as a PDF."""
    page = open_page(browser, pages[kind, locale], width=A4_PRINTABLE_WIDTH, print_media=True)
    try:
        check(measure(page), screen=False)
        target = tmp_path / f"{kind}-{locale}.pdf"
        page.pdf(path=str(target), format="A4", print_background=True)
        assert target.read_bytes().startswith(b"%PDF")
        assert [] == browser.requests
    finally:
        page.close()


def test_a_request_would_be_seen(browser: Any) -> None:
    """The route that records requests works: a page that loads an image is caught."""
    page = open_page(browser, '<img src="https://example.invalid/x.png">', width=400)
    try:
        assert any("example.invalid" in url for url in browser.requests)
    finally:
        browser.requests.clear()
        page.close()


def test_red_is_never_a_zero(browser: Any, pages: dict[tuple[str, str], str]) -> None:
    """Whatever is shown in the attention colour holds something other than a zero."""
    page = open_page(browser, pages["report", "fr"], width=1280)
    try:
        red = page.evaluate(
            """() => [...document.querySelectorAll('td, th, .tile .value, .label')]
              .filter((e) => getComputedStyle(e).color === 'rgb(180, 35, 24)')
              .map((e) => e.textContent.trim())"""
        )
        assert red
        for text in red:
            digits = [c for c in text if c.isdigit()]
            assert not digits or set(digits) != {"0"}, text
    finally:
        page.close()


def test_the_documentation_screenshot(browser: Any, tmp_path: Path) -> None:
    """The French report of the 10,000-contact demo, as docs/reports.md shows it: a full-page
    PNG, 1,280 pixels wide. ``UPDATE_SCREENSHOTS=1`` writes it to docs/images/report-fr.png;
    otherwise to a temporary file (the test runs either way)."""
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "fr.png"
    page = open_page(browser, demo_html("fr"), width=1280)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
    finally:
        page.close()
    png = target.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (1280, True) == (width, height > 1280)
