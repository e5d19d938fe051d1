"""Benchmark 4: loading the known-post index of an archive of 1,000,000 post files.

Generates the files (empty, in `_posts/`, real names) once in a folder kept between runs,
then loads the index in fresh processes: the first load after the files were written and
a second one (warm directory cache), each timed and with its extra memory (RSS).
Targets: <= 1.0 s and <= 150 MB.
Run: python -m bench.index [--posts 1000000] [--folder /tmp/finews-bench-index]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys, time
from crawler.archive import Archive
def rss_mb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
before = rss_mb(); start = time.perf_counter()
archive = Archive(sys.argv[1]); known = len(archive.known)  # keep the index alive while measuring
print(json.dumps({"seconds": time.perf_counter() - start, "mb": rss_mb() - before, "known": known}))
"""


def make_archive(folder: Path, posts: int) -> None:
    posts_dir = folder / "_posts"
    posts_dir.mkdir(parents=True, exist_ok=True)
    if sum(1 for _ in posts_dir.iterdir()) >= posts:
        return
    for number in range(posts):
        day = f"20{10 + number % 16:02d}-{1 + number % 12:02d}-{1 + number % 28:02d}"
        (posts_dir / f"{day}-NW{day.replace('-', '')}{number:010d}.md").touch()


def load(folder: Path) -> dict:
    probe = subprocess.run([sys.executable, "-c", PROBE, str(folder)], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    return json.loads(probe.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/finews-bench-index"))
    args = parser.parse_args()
    make_archive(args.folder, args.posts)
    print(f"archive index: {args.posts} post files in {args.folder / '_posts'}")
    for label in ("first load", "second load"):
        result = load(args.folder)
        assert result["known"] == args.posts, result
        ok = result["seconds"] <= 1.0 and result["mb"] <= 150
        print(f"  {label}: {result['seconds']:.2f} s, +{result['mb']:.0f} MB RSS"
              f" (targets <= 1.0 s, <= 150 MB): {'met' if ok else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
