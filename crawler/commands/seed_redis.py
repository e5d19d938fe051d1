"""`scrapy seed_redis`: make the shared Redis index of a distributed crawl, from an archive folder.

Workers refuse to crawl (exit status 8) until the index exists, so it is run
- once before the first distributed crawl, on every machine whose archive already holds posts
  (or once anywhere, when none does), and
- again after Redis lost its data (restarted without persistence, FLUSHALL, evicted): on every
  worker's archive, before any worker crawls again.
- again after every restart of Redis: a worker refuses an index made before Redis last started
  (even with persistence the newest writes may be gone).
It marks every post of FINEWS_ARCHIVE_DIR (and its old-posts folder) done, settles the claims
this archive's workers left (done when the post is there, else released) and makes the index
usable (the key <prefix>:epoch, kept while Redis runs). It holds both feeds' locks, so it never
runs beside a crawl of this archive; running it again is harmless.

    scrapy seed_redis -s FINEWS_REDIS_URL=redis://host:6379/0 -s FINEWS_ARCHIVE_DIR=/srv/finews
Exit status 0, 2 (usage), 3 (a crawl holds the archive), 6 (archive not readable), 8 (Redis
cannot be used).
"""

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.archive import ArchiveLocked, every_feed_locked
from crawler.commands import (
    checked_settings,
    existing_archive,
    fail,
    refuse_unknown_options,
    say_errors_in_one_line,
)
from crawler.exitstatus import ExitStatus
from crawler.sharedindex import SharedIndex, SharedIndexLost


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self):
        return "[options]"

    def short_desc(self):
        return "Mark the posts of FINEWS_ARCHIVE_DIR (and its old-posts folder) done in FINEWS_REDIS_URL"

    def add_options(self, parser):
        super().add_options(parser)
        say_errors_in_one_line(parser, "seed_redis")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        refuse_unknown_options(args, "seed_redis")
        if args:
            raise UsageError("seed_redis takes no arguments; use -s FINEWS_ARCHIVE_DIR=... -s FINEWS_REDIS_URL=...")
        if not self.settings.get("FINEWS_REDIS_URL"):
            raise UsageError("set -s FINEWS_REDIS_URL=redis://host:port/db")
        checked_settings(self.settings)
        existing_archive(self.settings)  # an empty index from a mistyped folder would mark nothing done

    def run(self, args, opts):
        try:
            with every_feed_locked(self.settings, SharedIndex.from_settings(self.settings)) as archive:
                shared, ids = archive.shared, archive.worker_ids()
                added = shared.seed(archive.known)
                done, released = shared.settle(archive.known, lambda holder: holder.split("@", 1)[0] in ids)
        except ArchiveLocked as exc:
            return fail(self, ExitStatus.LOCKED, f"{exc}; nothing was done, run it again when the crawl has ended")
        except SharedIndexLost as exc:
            return fail(self, ExitStatus.SHARED_INDEX_LOST, str(exc))
        except OSError as exc:
            return fail(
                self,
                ExitStatus.NOT_WRITABLE,
                f"the archive {self.settings['FINEWS_ARCHIVE_DIR']} cannot be read: {exc}",
            )
        except KeyboardInterrupt:  # the locks are let go; every Redis call was one script or one batch
            return fail(self, ExitStatus.STOPPED_EARLY, "interrupted: run it again, it is harmless")
        print(
            f"{len(archive.known)} posts in {archive.root}: {added} new to {shared.done_key}; "
            f"claims of this archive's workers: {done} marked done, {released} released"
        )
