"""PostgreSQL's read ahead, on and off, for one worker and for two (issue 14's two bounds).

    python benchmarks/bench_read_ahead.py [RECEIPTS] [ROUNDS]

``bench_postgres.py``'s receipts (200,000 by default) are applied by 1 worker process, then by 2
(each half, interleaved), each with ``PostgresStorage(read_ahead=True)`` (the default) and with
``read_ahead=False``, alternated, ``ROUNDS`` times (2 by default); each run starts from its own
copy of one template database. Each round prints the four times, the ratio of the read ahead
to the baseline without it (one worker, two workers), and each setting's ratio of two workers to
one. Times run from the start signal (``run_workers``). On a machine whose cores two workers
fill, the read ahead speeds one worker and not two: the second ratio falls by what the first
gains (docs/performance.md).
"""

from __future__ import annotations

import sys

from bench_postgres import Server, build, receipts, run_workers, submitted

from sms_campaign_stats.testing import TemporaryPostgres


def workers(server: Server, texts: list[tuple[str, str]], count: int, read_ahead: bool) -> float:
    """Seconds for ``count`` worker processes to apply ``texts`` (interleaved shares), from the
    start signal (``run_workers``)."""
    server.fresh("bench_read_ahead", "bench_read_ahead_template")
    parts = [texts[share::count] for share in range(count)]
    return run_workers(server.url_of("bench_read_ahead"), parts, read_ahead)[0]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with TemporaryPostgres(fast=False, settings={"shared_buffers": "1GB"}) as postgres:
        server = Server(postgres.url)
        build(server.fresh("bench_read_ahead_template"), submitted(count)).close()
        server.vacuum("bench_read_ahead_template")
        texts = [(kind, report.provider_message_id or "") for kind, report in receipts(count)]
        for _ in range(rounds):
            times = {
                (n, ahead): workers(server, texts, n, ahead)
                for n in (1, 2)
                for ahead in (True, False)
            }
            print(
                f"1 worker: {times[1, True]:.2f} s with the read ahead, {times[1, False]:.2f} s "
                f"without -> {times[1, True] / times[1, False]:.2f}; 2 workers: "
                f"{times[2, True]:.2f} s, {times[2, False]:.2f} s -> "
                f"{times[2, True] / times[2, False]:.2f}; 2 workers against 1: "
                f"{times[1, True] / times[2, True]:.2f}x with, "
                f"{times[1, False] / times[2, False]:.2f}x without"
            )
        server.admin.close()


if __name__ == "__main__":
    main()
