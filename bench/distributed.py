"""Benchmark: articles/s with 1 process and no Redis, 1 worker with Redis, 2 workers with Redis.

The mirror answers each article after 100 ms (what a real site's latency is like, and what
makes more workers pay off); one run prints the three rates and their ratios.
Run: python -m bench.distributed [--articles 600] [--latency 0.1]
"""

import argparse
import tempfile
import time
from pathlib import Path

from fixtures.testing import local_redis_server, ready_redis, serve, synthesize
from tests.crawl import start_crawl


def crawl(base_url: str, archives: list[Path], pages: int, **settings) -> tuple[float, int]:
    """Seconds for the workers (one per archive) to finish together, and posts written."""
    start = time.perf_counter()
    workers = [start_crawl(base_url, archive, "categories=350", f"pages={pages}", LOG_LEVEL="WARNING", **settings)
               for archive in archives]  # fmt: skip
    assert [worker.wait() for worker in workers] == [0] * len(workers)
    seconds = time.perf_counter() - start
    return seconds, sum(len(list((archive / "_posts").glob("*.md"))) for archive in archives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synthesize(tmp / "site", args.articles, page_size=100)
        pages = -(-args.articles // 100)
        server, base_url = serve(tmp / "site", faults={r"/a/\d+\.html": [f"delay:{args.latency}*"]})
        results = {"1 process, no Redis": crawl(base_url, [tmp / "plain"], pages)}
        with local_redis_server(tmp) as url:
            ready_redis(url)
            results["1 worker, Redis"] = crawl(base_url, [tmp / "r1"], pages, FINEWS_REDIS_URL=url)
        with local_redis_server(tmp) as url:
            ready_redis(url)
            results["2 workers, Redis"] = crawl(base_url, [tmp / "r2a", tmp / "r2b"], pages, FINEWS_REDIS_URL=url)
        server.shutdown()
    base = args.articles / results["1 process, no Redis"][0]
    print(f"distributed crawl: {args.articles} articles, {args.latency * 1000:.0f} ms per article response")
    for label, (seconds, written) in results.items():
        assert written == args.articles, (label, written)
        rate = written / seconds
        print(f"  {label:20s} {rate:6.1f} articles/s ({seconds:.1f} s)  {rate / base:.2f}x")


if __name__ == "__main__":
    main()
