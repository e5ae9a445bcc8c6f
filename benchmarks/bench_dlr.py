"""Parse and classify 1,000,000 SMPP receipt texts, against a one-regex extraction.

    python benchmarks/bench_dlr.py [COUNT]

Bound from issue 3: ratio at most 2.5. The baseline only extracts ``id``, ``stat`` and ``err``
with one precompiled regular expression per receipt; ours builds a full ``DeliveryReport`` (all
fields, dates read) and its ``Classification``.
"""

from __future__ import annotations

import random
import re
import sys

from _common import best_of, report_line

from sms_campaign_stats import classify, parse_smpp_receipt

BASELINE = re.compile(r"id:(\S+).*?stat:(\S+).*?err:(\S+)", re.DOTALL)
STATES = ["DELIVRD"] * 85 + ["UNDELIV"] * 5 + ["EXPIRED"] * 3 + ["ENROUTE"] * 5 + ["REJECTD"] * 2
ERRORS = ["000"] * 90 + ["001", "006", "027", "013", "034", "075", "0", "1", "255", "999"]


def receipts(count: int, seed: int = 3) -> list[str]:
    """Realistic receipt texts: decimal and hex ids, 10- and 12-digit dates over a few hours."""
    draw = random.Random(seed)
    texts = []
    for index in range(count):
        minute = draw.randrange(0, 6 * 60)
        day, hour, minute = 2 + minute // (24 * 60), 9 + minute // 60 % 15, minute % 60
        second = draw.randrange(60)
        if index % 3:
            submitted = f"2603{day:02d}{hour:02d}{minute:02d}"
            done = submitted
        else:
            submitted = f"2603{day:02d}{hour:02d}{minute:02d}{second:02d}"
            done = f"2603{day:02d}{hour:02d}{minute:02d}{min(second + 4, 59):02d}"
        ident = f"{draw.getrandbits(128):032x}" if index % 2 else str(draw.randrange(10**10))
        texts.append(
            f"id:{ident} sub:001 dlvrd:{'001' if index % 7 else '000'} submit date:{submitted} "
            f"done date:{done} stat:{draw.choice(STATES)} err:{draw.choice(ERRORS)} "
            f"text:Spring sale: -20% o"
        )
    return texts


def main(count: int = 1_000_000) -> None:
    """Time both over the same texts, interleaved."""
    texts = receipts(count)

    def ours() -> None:
        for text in texts:
            classify(parse_smpp_receipt(text))

    def baseline() -> None:
        for text in texts:
            found = BASELINE.search(text)
            if found is not None:
                found.groups()

    ours_time, baseline_time = best_of(3, ours, baseline)
    print(f"receipts: {count:,}")
    print(report_line("parse_smpp_receipt + classify", ours_time, baseline_time, "one regex", 2.5))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
