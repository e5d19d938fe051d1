"""Benchmark 5: peak memory of a long backfill, 10,000 vs 50,000 generated articles.

Each size is a fresh mirror on loopback and a fresh archive, crawled by one
`scrapy crawl eastmoney -a since=...` process whose peak RSS the OS reports (wait4).
Target: the peak grows by <= 50 MB between the two (no per-article state beyond the index).
Run: python -m bench.memory [--small 10000] [--large 50000]
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from fixtures.testing import crawl_command, serve, synthesize

REPO = Path(__file__).resolve().parent.parent


def backfill_peak_mb(articles: int) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, posts written) of a backfill of `articles` generated articles."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synthesize(tmp / "site", articles, page_size=100)
        server, base_url = serve(tmp / "site")
        command = crawl_command(base_url, tmp / "archive", "categories=350", "since=2000-01-01",
                                f"pages={articles // 100 + 1}", LOG_LEVEL="WARNING", CONCURRENT_REQUESTS=32,
                                CONCURRENT_REQUESTS_PER_DOMAIN=32)  # fmt: skip
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        server.shutdown()
        assert os.waitstatus_to_exitcode(status) == 0
        written = sum(1 for _ in (tmp / "archive" / "_posts").iterdir())
        return usage.ru_maxrss / 1024, seconds, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=50_000)
    args = parser.parse_args()
    results = {size: backfill_peak_mb(size) for size in (args.small, args.large)}
    print("memory over a long backfill (peak RSS of the scrapy process)")
    for size, (peak, seconds, written) in results.items():
        print(
            f"  {size:6d} articles: peak {peak:6.1f} MB, {written} posts in {seconds:.0f} s ({written / seconds:.0f}/s)"
        )
    growth = results[args.large][0] - results[args.small][0]
    print(f"  growth {growth:.1f} MB (target <= 50 MB): {'met' if growth <= 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
