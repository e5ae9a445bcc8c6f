"""Write the documentation pages generated from the library's tables into docs/.

Run after changing a table: ``python scripts/generate_docs.py``; review the diff.
"""

from __future__ import annotations

from pathlib import Path

from sms_campaign_stats.render import GENERATED_PAGES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    """Regenerate every generated page."""
    for name, render in GENERATED_PAGES.items():
        (DOCS / name).write_text(render(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
