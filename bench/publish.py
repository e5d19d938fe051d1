"""Benchmark: `scrapy archive publish --no-push` of a backfill's many new posts, which must cost time
linear in them (one pathspec per file made it quadratic: 60,000 posts took 60.8 s).

For each count (default 20,000, 60,000 and 100,000 new posts in `_posts/`, with one category page,
in a git repository of one commit) one run prints the seconds of the publish, posts a second, and
the seconds per 10,000 posts against the first count's (1.0x: linear). Target: 60,000 in under 10 s.
Run: python -m bench.publish [--posts 20000 60000 100000]
"""

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from fixtures.testing import scrapy_command

REPO = Path(__file__).resolve().parents[1]
POST = '---\nlayout: post\ntitle: "{key}"\ndate: 2026-12-01 10:00:00 +0800\ncategories: zqsbw\ntags: 证券时报网新闻\n---\n<p>正文 {key}</p>\n'


def git(where: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(where), *args], check=True, capture_output=True)


def measure(posts: int, tmp: Path) -> float:
    work = tmp / f"archive-{posts}"
    (work / "_posts").mkdir(parents=True)
    git(work, "init", "--quiet", "--initial-branch=main")
    (work / "_config.yml").write_text("title: archive\n", encoding="utf-8")
    git(work, "add", "-A")
    git(work, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "--quiet", "-m", "start")
    for number in range(posts):
        key = f"NW20261201{number:010d}"
        (work / "_posts" / f"2026-12-01-{key}.md").write_text(POST.format(key=key), encoding="utf-8")
    (work / "category").mkdir()
    (work / "category" / "zqsbw.html").write_text("---\nlayout: category\n---\n", encoding="utf-8")
    command = scrapy_command("archive", "publish", "--no-push", settings={"FINEWS_ARCHIVE_DIR": work})
    started = time.perf_counter()
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert process.returncode == 0 and f"{posts} new posts" in process.stdout, process.stdout + process.stderr
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[20_000, 60_000, 100_000])
    args = parser.parse_args()
    print(f"{'new posts':>10} {'publish':>9} {'posts/s':>9} {'s per 10,000 vs first':>22}")
    first = None
    for posts in args.posts:
        with tempfile.TemporaryDirectory(prefix="finews-bench-publish-") as tmp:
            seconds = measure(posts, Path(tmp))
        per = seconds / posts * 10_000
        first = first or per
        print(f"{posts:>10,} {seconds:>7.1f} s {posts / seconds:>9,.0f} {per / first:>21.2f}x", flush=True)


if __name__ == "__main__":
    main()
