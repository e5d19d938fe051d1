"""Benchmark: `scrapy archive build` of large archives against a bare Jekyll build of the same posts.

For each size (default 10,000, 40,000 and 100,000 posts; 2,000 sources, one source in 10,000
posts with 5,000 of them, a quarter of the posts in old_post/; bodies of the archive's real posts,
fixtures/expected/) one run prints:
- bare: `jekyll build` of the same posts with a one-line layout, no list pages, no search, and
  the each_site_file fix (site/_plugins/finews_each_site_file.rb): what any site of them costs;
- build: `scrapy archive build` (staging, the template's layouts and list pages, then Pagefind),
  and its ratio to bare (target: 4x or less at 40,000 posts, search included);
- the site's size, the search index's size, and the peak memory (max RSS) of Jekyll and Pagefind.
Run: python -m bench.site_build [--posts 10000 40000 100000]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixtures.testing import scrapy_command, synthesize_archive

REPO = Path(__file__).resolve().parents[1]
PEAK = "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; " \
       "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"  # fmt: skip


def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Seconds, the peak RSS (MB) of the command's processes, and its output."""
    start = time.perf_counter()
    process = subprocess.run([sys.executable, "-c", PEAK, *command], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-2000:]
    return seconds, int(process.stderr.strip().splitlines()[-1]) // 1024, process.stdout


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
    archive = tmp / f"archive-{posts}"
    synthesize_archive(
        archive, posts, sources=2000, big_sources=max(1, posts // 10_000), big_share=0.5, real_bodies=True
    )
    bare = tmp / f"bare-{posts}"
    bare_site(archive, bare)
    bare_seconds, bare_mb, _ = timed(["jekyll", "build", "--quiet", "-d", str(tmp / f"bare-out-{posts}")], bare)
    command = scrapy_command("archive", "build", settings={"FINEWS_ARCHIVE_DIR": archive})
    build_seconds, build_mb, output = timed(command, REPO)
    site = archive / "_site"
    return {"posts": posts, "bare": bare_seconds, "build": build_seconds, "bare_mb": bare_mb, "build_mb": build_mb,
            "site_mb": size_mb(site), "search_mb": size_mb(site / "pagefind"), "output": output.strip()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[10_000, 40_000, 100_000])
    args = parser.parse_args()
    print("site build: 2,000 sources, a quarter of the posts in old_post/; Jekyll", end=" ")
    print(subprocess.run(["jekyll", "--version"], capture_output=True, text=True).stdout.split()[-1])
    print(f"{'posts':>8} {'bare jekyll':>12} {'archive build':>14} {'ratio':>6} {'site':>9} {'search':>9} "
          f"{'peak RSS bare/build':>20}")  # fmt: skip
    for posts in args.posts:
        with tempfile.TemporaryDirectory(prefix="finews-bench-") as tmp:
            row = measure(posts, Path(tmp))
        print(f"{row['posts']:>8,} {row['bare']:>10.1f} s {row['build']:>12.1f} s {row['build'] / row['bare']:>5.2f}x "
              f"{row['site_mb']:>6.0f} MB {row['search_mb']:>6.0f} MB {row['bare_mb']:>9} / {row['build_mb']} MB")  # fmt: skip
        print(f"         ({row['output']})")


if __name__ == "__main__":
    main()
