"""`scrapy archive export|maintain`: the archive's posts as JSON Lines, and the archive's upkeep.

export    every post in `_posts/` and the old-posts folder, one JSON object a line (key, date,
          title, source, category, path), on stdout or into -o FILE.
maintain  --move-older-than DAYS: posts dated (by file name, Beijing time) more than DAYS days
          ago go from `_posts/` to the old-posts folder; --fix-categories: the missing index
          pages of the posts in `_posts/` and the old-posts folder are written. It holds both feeds' archive locks, so it
          never runs while a crawl writes (exit status 3, as a crawl's), and writes atomically.

Exit statuses: 0 done, 2 usage error (also: no archive there), 3 a crawl holds the archive,
6 the archive is not writable.
"""

import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.archive import FEEDS, Archive, ArchiveLocked
from crawler.archive.files import atomic_writer
from crawler.archive.index import post_files
from crawler.archive.maintenance import missing_index_pages, move_old_posts
from crawler.archive.posts import post_record
from crawler.items import SHANGHAI


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self):
        return "export [-o FILE] | maintain [--move-older-than DAYS] [--fix-categories]"

    def short_desc(self):
        return "List the archive's posts as JSON Lines (export), or move old posts and restore index pages (maintain)"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="export: write the JSON Lines to FILE, not stdout")
        parser.add_argument(
            "--move-older-than", metavar="DAYS", type=int, help="maintain: move posts older than DAYS days"
        )
        parser.add_argument("--fix-categories", action="store_true", help="maintain: write missing category pages")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        if len(args) != 1 or args[0] not in ("export", "maintain"):
            raise UsageError("say what to do: export or maintain")
        maintaining = opts.move_older_than is not None or opts.fix_categories
        if args[0] == "export" and maintaining:
            raise UsageError("--move-older-than and --fix-categories belong to maintain")
        if args[0] == "maintain" and opts.output:
            raise UsageError("-o belongs to export")
        if args[0] == "maintain" and not maintaining:
            raise UsageError("maintain needs --move-older-than DAYS, --fix-categories or both")
        if (opts.move_older_than or 0) < 0:
            raise UsageError("--move-older-than needs 0 or more days")
        root = Path(self.settings["FINEWS_ARCHIVE_DIR"])
        if not (root / "_posts").is_dir():
            raise UsageError(f"no archive at {root.resolve()} (no _posts folder); set -s FINEWS_ARCHIVE_DIR=...")

    def run(self, args, opts):
        if args[0] == "export":
            self.export(opts.output)
        else:
            self.maintain(opts.move_older_than, opts.fix_categories)

    def export(self, output: str | None) -> None:
        lines = self.export_lines(Archive.from_settings(self.settings))
        if output:
            target = Path(output)
            try:
                with atomic_writer(target, f".{target.name}-") as out:  # never half a file
                    out.writelines(lines)
            except OSError as exc:
                self.fail(2, f"cannot write {output}: {exc}")
            return
        sys.stdout.reconfigure(encoding="utf-8")
        try:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): fine, and no traceback at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    @staticmethod
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
            line = json.dumps(record, ensure_ascii=False)
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate from an old post's escapes: JSON's \\u form
                line = json.dumps(record)
            yield line + "\n"
        if skipped:
            print(f"{skipped} unreadable posts skipped", file=sys.stderr)

    def maintain(self, older_than: int | None, fix_categories: bool) -> None:
        archives = [Archive.from_settings(self.settings, feed.name) for feed in FEEDS]  # each feed's lock
        try:
            for archive in archives:
                archive.lock(crawl=False)
            archive = archives[0]
            if older_than is not None:
                before = datetime.now(SHANGHAI).date() - timedelta(days=older_than)
                moved = move_old_posts(archive, before)
                old = self.settings["FINEWS_OLD_POSTS_DIR"]
                print(f"moved {len(moved)} posts dated before {before} (older than {older_than} days) to {old}/")
            if fix_categories:
                pages, unreadable = missing_index_pages(archive)
                for path, reason in unreadable.items():
                    print(f"skipped {path}: {reason}", file=sys.stderr)
                for path, text in sorted(pages.items()):
                    archive.write(path, text)
                    print(f"wrote {path.relative_to(archive.root)}")
                print(f"{len(pages)} missing index pages written")
        except ArchiveLocked as exc:
            self.fail(3, f"{exc}; nothing was done, run it again when the crawl has ended")
        except OSError as exc:
            self.fail(6, f"the archive is not writable: {exc}")
        finally:
            for archive in archives:
                archive.unlock()

    def fail(self, status: int, message: str) -> None:
        print(f"scrapy archive: {message}", file=sys.stderr)
        self.exitcode = status
