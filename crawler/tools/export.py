"""`scrapy archive export`: every post of `_posts/` and the old-posts folder, one JSON object a line.

Each line is a post's record (crawler/tools/posts.py: key, date, title, source, category,
path, stocks), on stdout or, with -o FILE, into FILE written atomically (never half a file). A post
that cannot be read is named on stderr and skipped. Takes no lock: posts are written atomically.
"""

import json
import os
import sys
from argparse import Namespace
from collections.abc import Iterator, Mapping
from pathlib import Path

from crawler.archive import Archive
from crawler.archive.files import atomic_writer
from crawler.archive.index import post_files
from crawler.exitstatus import ExitStatus
from crawler.tools.posts import post_record
from crawler.tools.verb import Option, Verb, VerbFailed


class Export(Verb):
    name = "export"
    summary = "every post as one JSON object a line (key, date, title, source, category, path, stocks)"
    options = (
        Option(("-o", "--output"), "write the JSON Lines to FILE (atomically), not stdout", {"metavar": "FILE"}, True),
    )
    prints_its_product = True

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        lines = export_lines(archive)
        if opts.output is not None and opts.output != "-":  # -: stdout
            target = Path(opts.output)
            try:
                with atomic_writer(target, f".{target.name}-") as out:
                    out.writelines(lines)
            except OSError as exc:
                if _in_archive(exc, archive):
                    raise  # reading the archive failed: the command says so
                raise VerbFailed(ExitStatus.NOT_WRITABLE, f"cannot write {opts.output}: {exc}") from None
            return ExitStatus.OK
        if sys.stdout is None:
            raise VerbFailed(ExitStatus.USAGE, "stdout is closed: give the export a file with -o FILE")
        sys.stdout.reconfigure(encoding="utf-8")
        try:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        except OSError as exc:
            if _in_archive(exc, archive):
                raise
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second complaint at exit
            if not isinstance(exc, BrokenPipeError):  # a reader that stopped early (`| head`) is fine
                raise VerbFailed(ExitStatus.NOT_WRITABLE, f"cannot write the export to stdout: {exc}") from None
        return ExitStatus.OK


def _in_archive(exc: OSError, archive: Archive) -> bool:
    return exc.filename is not None and Path(exc.filename).resolve().is_relative_to(archive.root)


def export_lines(archive: Archive) -> Iterator[str]:
    """One JSON line per post of `_posts/` and the old-posts folder; unreadable posts are named on stderr."""
    skipped = 0
    for path in post_files(archive.posts_dir) + post_files(archive.old_posts_dir):
        try:
            record = post_record(path, archive.root)
        except (OSError, ValueError) as exc:  # OSError: moved away by maintenance meanwhile
            print(f"skipped {path}: {exc}", file=sys.stderr)
            skipped += 1
            continue
        yield json.dumps(record, ensure_ascii=False) + "\n"  # the reader refuses lone surrogates, as Jekyll does
    if skipped:
        print(f"{skipped} unreadable posts skipped", file=sys.stderr)
