"""Benchmarks 2 and 3: end-to-end crawl throughput, and a scheduled run with nothing new.

2. `scrapy crawl eastmoney` over a generated mirror of 10,000 articles on loopback (politeness
   relaxed), against a bare Scrapy spider that downloads the same URLs and parses nothing, twice:
   with WARC capture off (target: >= 0.8x the bare spider's rate) and on (FINEWS_WARC_DIR,
   target: >= 0.7x), both against the one bare run made in the same process.
   Then `scrapy archive replay` of the WARC files that run wrote, into an empty folder with the mirror
   gone: its rate, and the check that it wrote the same posts and pages byte for byte; and the WARC
   bytes per 1,000 articles.
3. Then, on the archive of 10,000 posts that run wrote, a scheduled run with nothing new over the
   six default categories: HTTP requests (target: exactly one per category) and wall time from
   process start to exit against an empty `scrapy crawl` (target: <= 2x), measured in one run.
Run: python -m bench.crawl [--articles 10000]
"""

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from crawler.categories import COLUMNS, DEFAULT_CATEGORIES
from fixtures.testing import ARTICLE_PATH, LIST_API_PATH, mirror_settings, scrapy_command, serve, synthesize

REPO = Path(__file__).resolve().parent.parent
RELAXED = {"CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "LOG_LEVEL": "WARNING"}
# (label, archive folder, settings naming folders in the run's temp folder, target ratio to the bare spider)
RUNS = [("WARC off", "archive", {}, 0.8), ("WARC on ", "archive-warc", {"FINEWS_WARC_DIR": "warc"}, 0.7)]


def scrapy(args: list[str], settings: dict) -> float:
    """Run a scrapy command in the project; returns its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(scrapy_command(*args, settings=settings), cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    columns = [COLUMNS[slug] for slug in DEFAULT_CATEGORIES]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ids = synthesize(tmp / "site", args.articles, column=columns, page_size=100)
        server, base_url = serve(tmp / "site")
        settings = {**mirror_settings(base_url), **RELAXED}
        pages = -(-len(ids) // 100)
        urls = [f"{base_url}/{LIST_API_PATH.format(column=columns[0], page=p)}" for p in range(1, pages + 1)]
        urls += [f"{base_url}/{ARTICLE_PATH.format(id=i)}" for i in ids]
        (tmp / "urls.txt").write_text("\n".join(urls))

        bare = scrapy(["runspider", "bench/spiders.py", "-a", "role=bare", "-a", f"urls={tmp / 'urls.txt'}"],
                      {**settings, "FINEWS_ARCHIVE_DIR": tmp / "unused"})  # fmt: skip
        print(f"end-to-end crawl: {len(ids)} articles + {pages} list pages on loopback, one run")
        print(f"  bare spider (download only)   {len(urls) / bare:7.1f} pages/s    ({bare:.1f} s)")
        for label, archive, extra, target in RUNS:
            ours = scrapy(["crawl", "eastmoney", "-a", f"categories={columns[0]}", "-a", f"pages={pages}"],
                          {**settings, "FINEWS_ARCHIVE_DIR": tmp / archive,
                           **{k: tmp / v for k, v in extra.items()}})  # fmt: skip
            written = len(list((tmp / archive / "_posts").glob("*.md")))
            assert written == len(ids), (written, len(ids))
            if extra:
                assert list((tmp / "warc").glob("*.warc.gz")), "no WARC file written"
            ratio = (written / ours) / (len(urls) / bare)
            print(f"  scrapy crawl eastmoney, {label} {written / ours:7.1f} articles/s ({ours:.1f} s, {written} posts)"
                  f": {ratio:.2f}x (target >= {target}x): {'met' if ratio >= target else 'MISSED'}")  # fmt: skip

        idle = scrapy(
            ["runspider", "bench/spiders.py", "-a", "role=idle"], {**RELAXED, "FINEWS_ARCHIVE_DIR": tmp / "unused"}
        )
        server.requested.clear()
        nothing_new = scrapy(["crawl", "eastmoney"], {**settings, "FINEWS_ARCHIVE_DIR": tmp / "archive"})
        requests = len(server.requested)
        server.shutdown()
        warcs = sorted(str(path) for path in (tmp / "warc").glob("*.warc.gz"))
        replayed = scrapy(
            ["archive", "replay", *warcs], {"FINEWS_ARCHIVE_DIR": tmp / "replayed", "LOG_LEVEL": "WARNING"}
        )
        same = _files(tmp / "replayed") == _files(tmp / "archive-warc")
        size = sum(Path(path).stat().st_size for path in warcs)
        print(
            f"replay of its {len(warcs)} WARC file(s), {size / len(ids) * 1000 / 1e6:.2f} MB per 1,000 articles, "
            f"no server: {len(ids) / replayed:.1f} articles/s ({replayed:.1f} s), "
            f"{ours / replayed:.1f}x the crawl's rate; the same posts and pages: {'yes' if same else 'NO'}"
        )
        print(f"scheduled run with nothing new, archive of {written} posts, {len(columns)} categories")
        print(f"  HTTP requests {requests} (target {len(columns)}, one per category): "
              f"{'met' if requests == len(columns) else 'MISSED'}")  # fmt: skip
        print(f"  wall time {nothing_new:.2f} s vs empty scrapy crawl {idle:.2f} s: {nothing_new / idle:.2f}x"
              f" (target <= 2x): {'met' if nothing_new <= 2 * idle else 'MISSED'}")  # fmt: skip


def _files(root: Path) -> dict[str, bytes]:
    """The posts and pages of an archive (not the files a run keeps about itself), by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
    }


if __name__ == "__main__":
    main()
