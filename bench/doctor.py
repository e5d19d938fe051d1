"""Benchmark: `scrapy archive doctor` on a 100,000-post archive (target: under a minute on this machine).

The archive is written in the crawler's format (fixtures.testing.synthesize_archive: 2,000
sources, a quarter of the posts in old_post/, bodies of the archive's real posts), with the old
scripts' defects of fixtures/old_archive.py added beside it; one run prints the seconds of a
check and of a --fix, and the posts read per second.
Run: python -m bench.doctor [--posts 100000]
"""

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from fixtures.old_archive import make_old_archive
from fixtures.testing import scrapy_command, synthesize_archive

REPO = Path(__file__).resolve().parents[1]


def doctor(root: Path, *options: str) -> tuple[float, str]:
    start = time.perf_counter()
    command = scrapy_command("archive", "doctor", *options, settings={"FINEWS_ARCHIVE_DIR": root})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert process.returncode in (0, 1), process.stderr[-2000:]
    return seconds, process.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="finews-doctor-") as tmp:
        root = Path(tmp) / "archive"
        synthesize_archive(root, args.posts, sources=2000, big_sources=max(1, args.posts // 10_000), real_bodies=True)
        old = make_old_archive(Path(tmp) / "old")
        for folder in ("_posts", "old_post", "category"):
            for path in (old / folder).iterdir():
                if not (root / folder / path.name).exists():
                    shutil.copyfile(path, root / folder / path.name)
        check, found = doctor(root)
        fix, fixed = doctor(root, "--fix")
    print(f"archive doctor, {args.posts:,} posts (+ the old archive's defects):")
    print(f"  check {check:.1f} s ({args.posts / check:,.0f} posts/s): {found}")
    print(f"  --fix {fix:.1f} s: {fixed}")


if __name__ == "__main__":
    main()
