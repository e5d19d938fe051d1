"""Benchmark: `scrapy archive build` of large archives, in full and as an update, against a bare Jekyll
build of the same posts; and how well the site's search finds what is on the pages, in Chromium.

For each size (default 10,000, 40,000 and 100,000 posts; 2,000 sources, one source in 10,000
posts with 5,000 of them, a quarter of the posts in old_post/; bodies of the archive's real posts,
fixtures/expected/) one run prints:
- bare: `jekyll build` of the same posts with a one-line layout, no list pages, no search, and
  the each_site_file fix (site/_plugins/finews_each_site_file.rb): what any site of them costs;
- full: `scrapy archive build --out DIR` into a new folder (staging, the template's layouts and list
  pages, then the search index in bundles), and its ratio to bare;
- update: 20 new posts (as a crawl adds them), then `scrapy archive build --out DIR` again: an
  update of the same folder; its time as a share of the full build's (target: <= 10% and <= 20 s
  at 40,000 posts);
- the peak memory of each (the sum of the resident memory of all the command's processes, sampled
  every 50 ms; targets: update <= 1 GB, full build of 100,000 posts <= 4 GB), the site's size and
  the search index's.
Then, on the site of the first size, search quality in headless Chromium: QUERIES queries drawn
from the posts (2-8 characters of their text, and mixed ASCII/Chinese words such as A股), each
through the search page's window.finewsSearch: recall (posts found of those whose title or text
holds the query), precision, and for queries at least 10 posts hold, the share whose first 10
results all hold it (phrase first); and the time per query.
Run: python -m bench.site_build [--posts 10000 40000 100000] [--queries 300]
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.tools import search
from fixtures.testing import scrapy_command, synthesize_archive

REPO = Path(__file__).resolve().parents[1]
SYNTHESIS = {"sources": 2000, "big_share": 0.5, "real_bodies": True}
NEW_POSTS = 20
QUERIES = 300


def tree_rss(root: int) -> int:
    """The resident memory (bytes) of process `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as file:
                    parents[int(entry.name)] = int(file.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as file:
                total += int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Seconds, the peak memory (MB) of all the command's processes together, and its output."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    outputs: list[str] = []
    reader = threading.Thread(target=lambda: outputs.extend(process.communicate()))
    reader.start()
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.05)
    reader.join()
    seconds = time.perf_counter() - start
    assert process.returncode == 0, outputs[0][-2000:] + outputs[1][-2000:]
    return seconds, peak // 2**20, outputs[0]


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def bare_site(archive: Path, folder: Path) -> None:
    """The same posts (both folders) as a bare Jekyll site: one-line layout, the fix, nothing else."""
    (folder / "_posts").mkdir(parents=True)
    (folder / "_layouts").mkdir()
    (folder / "_plugins").mkdir()
    shutil.copy(REPO / "site" / "_plugins" / "finews_each_site_file.rb", folder / "_plugins")
    (folder / "_layouts" / "post.html").write_text("{{ content }}\n", encoding="utf-8")
    (folder / "_config.yml").write_text("permalink: /:year/:month/:day/:title:output_ext\ntimezone: Asia/Shanghai\n")
    for sub in ("_posts", "old_post"):
        for post in (archive / sub).iterdir():
            (folder / "_posts" / post.name).symlink_to(post)


def measure(posts: int, tmp: Path) -> dict:
    archive, site = tmp / f"archive-{posts}", tmp / f"site-{posts}"
    synthesize_archive(archive, posts, big_sources=max(1, posts // 10_000), **SYNTHESIS)
    bare = tmp / f"bare-{posts}"
    bare_site(archive, bare)
    bare_seconds, bare_mb, _ = timed(["jekyll", "build", "--quiet", "-d", str(tmp / f"bare-out-{posts}")], bare)
    shutil.rmtree(bare)
    shutil.rmtree(tmp / f"bare-out-{posts}")
    command = scrapy_command("archive", "build", "--out", str(site), settings={"FINEWS_ARCHIVE_DIR": archive})
    full_seconds, full_mb, full_output = timed(command, REPO)
    synthesize_archive(archive, posts, big_sources=max(1, posts // 10_000), more=NEW_POSTS, **SYNTHESIS)
    update_seconds, update_mb, update_output = timed(command, REPO)
    assert update_output.startswith("updated "), update_output
    return {
        "posts": posts, "bare": bare_seconds, "bare_mb": bare_mb, "full": full_seconds, "full_mb": full_mb,
        "update": update_seconds, "update_mb": update_mb, "site_mb": size_mb(site),
        "search_mb": size_mb(site / search.FOLDER), "full_output": full_output.strip(),
        "update_output": update_output.strip(), "site": site,
    }  # fmt: skip


def holds(page: tuple[str, str], query: str) -> bool:
    """Whether a post's title or text holds the query (ASCII words whole): what the search promises."""
    text = " ".join(search.normalized(f"{page[0]}\n{page[1]}").split())
    part = search.normalized(query)
    start = r"(?<![0-9a-z])" if re.match("[0-9a-z]", part) else ""
    end = r"(?![0-9a-z])" if re.search("[0-9a-z]$", part) else ""
    return re.search(start + re.escape(part) + end, text) is not None


def queries_from(pages: dict[str, tuple[str, str]], count: int, rng: random.Random) -> list[str]:
    """`count` queries drawn from the posts: 2-8 Chinese characters of a text (most), and mixed words."""
    texts = [f"{title}\n{text}" for title, text in pages.values()]
    runs = [run for text in texts[:2000] for run in re.findall(r"[\u4e00-\u9fff]{2,}", text)]
    mixed = sorted({m for text in texts[:2000] for m in re.findall(r"[A-Za-z0-9]+[\u4e00-\u9fff]{1,2}", text)})
    found: list[str] = []
    while len(found) < count:
        if mixed and len(found) % 10 == 9:
            found.append(rng.choice(mixed))
            continue
        run = rng.choice(runs)
        length = rng.randint(2, min(8, len(run)))
        start = rng.randrange(len(run) - length + 1)
        found.append(run[start : start + length])
    return found


def search_quality(site: Path, count: int) -> dict:
    """Recall, precision, phrase-first share and time per query of finewsSearch in headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    pages = {}
    for post in search.posts_of_site(site):
        found = search.extract((site / post.file).read_bytes())
        if found is not None:
            pages[post.url] = found
    queries = queries_from(pages, count, random.Random(21))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/search.html")
        driver.set_script_timeout(600)
        script = "window.finewsSearch(arguments[0]).then(arguments[1], e => arguments[1](String(e)))"
        driver.execute_async_script(script, "证券")  # loads every bundle once: not counted below
        held = found_right = found_all = phrase_queries = phrase_first = 0
        seconds = []
        for query in queries:
            truth = {url for url, page in pages.items() if holds(page, query)}
            started = time.perf_counter()
            found = driver.execute_async_script(script, query)
            seconds.append(time.perf_counter() - started)
            assert isinstance(found, list), found
            held, found_right, found_all = (
                held + len(truth),
                found_right + len(truth & set(found)),
                found_all + len(found),
            )
            if len(truth) >= 10:
                phrase_queries += 1
                phrase_first += all(url in truth for url in found[:10])
    finally:
        driver.quit()
        server.shutdown()
    return {
        "queries": len(queries), "posts": len(pages), "recall": found_right / max(1, held),
        "precision": found_right / max(1, found_all), "phrase_queries": phrase_queries,
        "phrase_first": phrase_first / max(1, phrase_queries), "median": statistics.median(seconds),
        "p90": statistics.quantiles(seconds, n=10)[-1], "bundles": len(json.loads(
            (site / search.FOLDER / search.BUNDLES_FILE).read_text(encoding="utf-8"))["bundles"]),
    }  # fmt: skip


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[10_000, 40_000, 100_000])
    parser.add_argument(
        "--queries", type=int, default=QUERIES, help="search queries on the first size's site (0: none)"
    )
    args = parser.parse_args()
    print("site build: 2,000 sources, a quarter of the posts in old_post/; Jekyll", end=" ")
    print(subprocess.run(["jekyll", "--version"], capture_output=True, text=True).stdout.split()[-1], end="; ")
    print(f"update: {NEW_POSTS} new posts; memory: all processes of the command together")
    print(f"{'posts':>8} {'bare jekyll':>12} {'full build':>11} {'ratio':>6} {'update':>8} {'of full':>8} "
          f"{'site':>8} {'search':>8} {'peak bare/full/update':>24}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="finews-bench-") as tmp:
        quality_site = None
        for posts in args.posts:
            row = measure(posts, Path(tmp))
            print(f"{row['posts']:>8,} {row['bare']:>10.1f} s {row['full']:>9.1f} s {row['full'] / row['bare']:>5.2f}x "
                  f"{row['update']:>6.1f} s {row['update'] / row['full']:>7.1%} {row['site_mb']:>5.0f} MB "
                  f"{row['search_mb']:>5.0f} MB {row['bare_mb']:>8} / {row['full_mb']} / {row['update_mb']} MB")  # fmt: skip
            print(f"         full:   {row['full_output']}\n         update: {row['update_output']}", flush=True)
            if quality_site is None and args.queries:
                quality_site = row["site"]
            else:
                shutil.rmtree(row["site"].parent / f"archive-{posts}")
                shutil.rmtree(row["site"])
        if quality_site is not None:
            q = search_quality(quality_site, args.queries)
            print(f"search, {q['posts']:,} posts in {q['bundles']} bundles, {q['queries']} queries in Chromium: "
                  f"recall {q['recall']:.2%}, precision {q['precision']:.2%}, first 10 hold the query in "
                  f"{q['phrase_first']:.1%} of the {q['phrase_queries']} queries at least 10 posts hold; "
                  f"{q['median']:.2f} s a query (median), p90 {q['p90']:.2f} s")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
