"""check_numbers on 1,000,000 contact-list numbers vs a plain phonenumbers loop over every input.

    python benchmarks/bench_numbers.py [COUNT]

The numbers: 12 countries (FR, DE, GB, US, ES, IT, BR, IN, ZA, AU, RE, MX), about 80% mobiles,
14% landlines, 2% VoIP, toll-free or premium-rate numbers and 4% invalid (a digit too many or too
few, an unknown country code, text that is no number), written the ways contact lists write them
("+33 6 12 34 56 78", "06.12.34.56.78", "0033612345678", "+1 (212) 555-0123", ...). 30% of the
inputs repeat a text met before. ``default_region`` is "FR": French numbers are also written
nationally.

The baseline is the least a caller would write: ``phonenumbers.parse`` + ``is_valid_number`` +
``number_type`` on every input (no E.164 form, no region, no time zones, no cache). Bounds from
the numbering issue:

- overall, check_numbers at most 1 / 1.3 of the baseline's time (at least 1.3x faster);
- per distinct number, check_numbers' time over the distinct texts at most 1.1x the baseline's
  time per input.
"""

from __future__ import annotations

import random
import sys

import phonenumbers
from _common import best_of, report_line

from sms_campaign_stats.phone_numbers import check_numbers

DUPLICATE_SHARE = 0.30
DEFAULT_REGION = "FR"
OVERALL_BOUND = round(1 / 1.3, 3)  # at least 1.3x faster
PER_DISTINCT_BOUND = 1.1

# country: (calling code, trunk prefix, mobile prefixes, landline prefixes, other valid prefixes,
# weight). A prefix is (leading digits, how many random digits follow); the prefixes are chosen
# inside the ranges phonenumbers' metadata assigns, so random digits make valid numbers.
Prefixes = list[tuple[str, int]]
COUNTRIES: dict[str, tuple[str, str, Prefixes, Prefixes, Prefixes, int]] = {
    "FR": (
        "33",
        "0",
        [(p, 7) for p in ("60", "61", "62", "64", "65", "66", "67", "68", "73", "75", "76", "77")],
        [("1", 8), ("3", 8), ("21", 7), ("47", 7), ("55", 7)],
        [("97", 7), ("899", 6)],
        30,
    ),
    "DE": (
        "49",
        "0",
        [("151", 8), ("160", 7), ("170", 7), ("171", 7), ("176", 8), ("157", 8)],
        [("30", 8), ("89", 7), ("40", 8), ("221", 7)],
        [("800", 7)],
        10,
    ),
    "GB": (
        "44",
        "0",
        [("74", 8), ("75", 8), ("77", 8), ("78", 8)],
        [("207", 7), ("208", 7), ("1612", 6), ("1214", 6)],
        [("56", 8), ("800", 7)],
        10,
    ),
    "US": (
        "1",
        "1",
        [(area + str(d), 6) for area in ("212", "415", "312", "713", "305", "206") for d in "2345"],
        [("6172", 6), ("4045", 6)],
        [("8002", 6)],
        10,
    ),
    "ES": (
        "34",
        "",
        [("6", 8), ("71", 7), ("72", 7), ("73", 7), ("74", 7)],
        [("91", 7), ("93", 7)],
        [("900", 6)],
        7,
    ),
    "IT": ("39", "", [(f"3{d}", 8) for d in "123456789"], [("06", 8), ("02", 8)], [], 7),
    "BR": (
        "55",
        "0",
        [("119", 8), ("219", 8), ("319", 8), ("619", 8), ("719", 8)],
        [("113", 7), ("213", 7)],
        [],
        6,
    ),
    "IN": (
        "91",
        "0",
        [("9", 9), ("70", 8), ("72", 8), ("74", 8), ("84", 8), ("85", 8)],
        [("113", 7), ("224", 7)],
        [],
        5,
    ),
    "ZA": ("27", "0", [("82", 7), ("83", 7), ("72", 7), ("61", 7)], [("11", 7), ("21", 7)], [], 4),
    "AU": ("61", "0", [("40", 7), ("41", 7), ("42", 7), ("43", 7)], [("29", 7), ("39", 7)], [], 4),
    "RE": ("262", "0", [("692", 6), ("6934", 5)], [("262", 6)], [], 3),
    "MX": ("52", "", [("55", 8), ("33", 8), ("81", 8)], [("222", 7)], [], 4),
}


def _digits(draw: random.Random, count: int) -> str:
    return "".join(draw.choices("0123456789", k=count))


def _grouped(digits: str, size: int, separator: str) -> str:
    return separator.join(digits[i : i + size] for i in range(0, len(digits), size))


def _written(draw: random.Random, region: str, code: str, trunk: str, nsn: str) -> str:
    """``+code nsn`` as a contact list might hold it."""
    style = draw.randrange(10)
    if region == DEFAULT_REGION and style < 4:  # national: "06 12 34 56 78", dots, or packed
        national = trunk + nsn
        return [national, _grouped(national, 2, " "), _grouped(national, 2, ".")][style % 3]
    if region == "US" and style < 3:
        return f"+1 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}"
    if style < 3:
        return f"+{code}{nsn}"
    if style < 5 and len(nsn) % 2:  # "+33 6 12 34 56 78"
        return f"+{code} {nsn[0]} {_grouped(nsn[1:], 2, ' ')}"
    if style < 5:  # "+39 312 345 6789"
        return f"+{code} {nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    if style < 6:
        return f"00{code}{nsn}"  # the international prefix dialled from France
    if style < 7:
        return f"+{code}-{nsn[:3]}-{nsn[3:]}"
    if style < 8 and trunk == "0":
        return f"+{code} ({trunk}){nsn}"
    if style < 9:
        return f"(+{code}) {nsn}"
    return f"+{code}.{_grouped(nsn, 3, '.')}"


def _number(draw: random.Random, regions: list[str], weights: list[int]) -> str:
    region = draw.choices(regions, weights)[0]
    code, trunk, mobiles, landlines, others, _ = COUNTRIES[region]
    roll = draw.random()
    if roll < 0.04:  # invalid
        kind = draw.randrange(4)
        if kind == 0:
            return f"+999 {_digits(draw, 9)}"
        if kind == 1:
            return draw.choice(["n/a", "unknown", "-", "0", "tel", "+", "none given"])
        prefix, count = draw.choice(mobiles)
        return _written(draw, region, code, trunk, prefix + _digits(draw, count + kind * 2 - 5))
    if roll < 0.06 and others:
        prefix, count = draw.choice(others)
    elif roll < 0.20:
        prefix, count = draw.choice(landlines)
    else:
        prefix, count = draw.choice(mobiles)
    return _written(draw, region, code, trunk, prefix + _digits(draw, count))


def numbers(count: int, seed: int = 1) -> tuple[list[str], int]:
    """``count`` raw numbers (30% repeats of earlier texts, shuffled) and how many are distinct."""
    draw = random.Random(seed)
    regions = list(COUNTRIES)
    weights = [COUNTRIES[region][-1] for region in regions]
    distinct_count = count - int(count * DUPLICATE_SHARE)
    seen: set[str] = set()
    distinct: list[str] = []
    while len(distinct) < distinct_count:
        raw = _number(draw, regions, weights)
        if raw not in seen:
            seen.add(raw)
            distinct.append(raw)
    inputs = distinct + draw.choices(distinct, k=count - distinct_count)
    draw.shuffle(inputs)
    return inputs, distinct_count


def plain_loop(raws: list[str]) -> list[tuple[bool, int]]:
    """The baseline: parse, validate and type every input, nothing more."""
    results = []
    for raw in raws:
        try:
            number = phonenumbers.parse(raw, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            results.append((False, phonenumbers.PhoneNumberType.UNKNOWN))
            continue
        results.append((phonenumbers.is_valid_number(number), phonenumbers.number_type(number)))
    return results


def per_number_line(ours: float, baseline: float, bound: float) -> str:
    """``report_line`` for per-number times, in microseconds."""
    ratio = ours / baseline
    verdict = "within" if ratio <= bound else "OVER"
    return (
        f"check_numbers per distinct text: {ours * 1e6:.2f} us vs plain loop per input "
        f"{baseline * 1e6:.2f} us -> ratio {ratio:.2f} ({verdict} the {bound} bound)"
    )


def main(count: int = 1_000_000) -> None:
    """Build the numbers once, then time both contenders, interleaved."""
    raws, distinct = numbers(count)
    found = check_numbers(raws, default_region=DEFAULT_REGION)
    accepted = sum(check.ok for check in found)
    ours, baseline = best_of(
        3,
        lambda: check_numbers(raws, default_region=DEFAULT_REGION),
        lambda: plain_loop(raws),
    )
    print(f"numbers: {count:,} ({distinct:,} distinct texts, {accepted / count:.1%} accepted)")
    print(report_line("check_numbers", ours, baseline, "parse+is_valid+type", OVERALL_BOUND))
    print(f"speed-up: {baseline / ours:.2f}x (target: at least 1.3x)")
    print(per_number_line(ours / distinct, baseline / count, PER_DISTINCT_BOUND))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
