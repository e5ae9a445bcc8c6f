"""A real browser for the HTML renderings: Playwright for Python driving Debian's Chromium.

No browser is downloaded (never ``playwright install``): the machine's ``/usr/bin/chromium``
(Debian's ``chromium`` package, which ``.ci/run`` installs) is launched headless with a new,
empty profile. ``tests/test_browser.py`` uses this module; so does the documentation's
screenshot::

    python -m tests.browser docs/images/report-fr.png   # the demo's French report
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("SCS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The page widths the tests look at, in CSS pixels: a phone, a laptop.
WIDTHS = (390, 1280)
#: A4 portrait less the print style sheet's 12 mm margins, in CSS pixels (96 per inch).
A4_PRINTABLE_WIDTH = round((210 - 2 * 12) / 25.4 * 96)

#: What the page measures of itself, in one call (see ``measure``).
MEASURE = """() => {
  const oneWord = (text) => text.length > 0 && !/[ \\t\\n\\r]/.test(text);
  const lines = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const tops = new Set();
    for (const rect of range.getClientRects()) {
      if (rect.width > 0 && rect.height > 0) tops.add(Math.round(rect.top));
    }
    return tops.size;
  };
  const wrapped = [];
  for (const cell of document.querySelectorAll("td, th")) {
    const text = cell.textContent.trim();
    if (oneWord(text) && lines(cell) > 1) wrapped.push(text);
  }
  const charts = [];
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.getAttribute("aria-hidden") === "true") continue;
    const box = svg.getBoundingClientRect();
    const labelled = (svg.getAttribute("aria-labelledby") || "").split(/\\s+/)
      .map((id) => document.getElementById(id))
      .filter((node) => node !== null)
      .map((node) => node.textContent.trim()).join(" ");
    charts.push({
      role: svg.getAttribute("role"),
      width: box.width,
      height: box.height,
      alternative: labelled || svg.getAttribute("aria-label") || "",
    });
  }
  const viewport = document.documentElement.clientWidth;
  const limit = Math.min(viewport, document.body.getBoundingClientRect().right);
  const outside = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (element.closest(".table-wrap") && !element.classList.contains("table-wrap")) continue;
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 0.5) {
      outside.push(element.tagName + "." + element.className);
    }
  }
  const clipped = [];
  for (const wrap of document.querySelectorAll(".table-wrap")) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) clipped.push(wrap.textContent.slice(0, 40));
  }
  return {
    viewport: viewport,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    wrapped: wrapped,
    charts: charts,
    outside: outside,
    clipped: clipped,
  };
}"""


class BrowserUnavailableError(RuntimeError):
    """Chromium or Playwright is not there, or the browser did not start."""


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``BrowserContext``) with a new, empty profile; every
    request that would leave the page fails the page's load and is recorded in
    ``context.requests``."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        raise BrowserUnavailableError(f"Playwright is not installed ({error})") from error
    if not Path(CHROMIUM).exists():
        raise BrowserUnavailableError(f"no browser at {CHROMIUM} (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="scs-chromium-") as profile, sync_playwright() as p:
        try:
            context: Any = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=ARGS
            )
        except Error as error:
            raise BrowserUnavailableError(f"Chromium did not start: {error}") from error
        requests: list[str] = []

        def refuse(route: Any) -> None:
            requests.append(route.request.url)
            route.abort()

        context.route("**/*", refuse)
        context.requests = requests
        try:
            yield context
        finally:
            context.close()


def open_page(context: Any, html: str, *, width: int, print_media: bool = False) -> Any:
    """A page of ``width`` CSS pixels showing ``html`` (set as the page's content: no request
    is made for the document itself), in screen or print media."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(media="print" if print_media else "screen")
    page.set_content(html, wait_until="load")
    return page


def measure(page: Any) -> dict[str, Any]:
    """What ``MEASURE`` finds on the page."""
    found: dict[str, Any] = page.evaluate(MEASURE)
    return found


def demo_html(locale: str, *, recipients: int = 10_000, statistics: bool = False) -> str:
    """The demo campaign's HTML report (with its history), or the statistics page, simulated
    in memory with the demo's seed."""
    from sms_campaign_stats import InMemoryStorage, global_statistics
    from sms_campaign_stats.reports import history_for, report_for
    from sms_campaign_stats.simulation import PolicySet, World, simulate

    store = InMemoryStorage()
    result = simulate(
        World(recipients=recipients, seed=2026), PolicySet(name="default"), storage=store
    )
    if statistics:
        return global_statistics(store).to_html(locale=locale)
    campaign_id = result.report.campaign_id
    report = report_for(store, campaign_id, activity=True)
    return report.to_html(history=history_for(store, campaign_id), locale=locale)


def screenshot(path: Path, *, locale: str = "fr", width: int = 1280) -> None:
    """A full-page screenshot of the demo's report, as the documentation shows it."""
    html = demo_html(locale)
    with chromium() as context:
        page = open_page(context, html, width=width)
        page.screenshot(path=str(path), full_page=True)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/report-fr.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    screenshot(target)
    print(f"wrote {target}")
