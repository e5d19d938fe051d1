"""`scrapy seed_redis`: mark every post of an archive folder done in the shared Redis index.

Run it once before the first distributed crawl of an existing archive, so that no worker
downloads an article the archive already holds:
    scrapy seed_redis -s FINEWS_REDIS_URL=redis://host:6379/0 -s FINEWS_ARCHIVE_DIR=/srv/finews
"""

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.archive import Archive


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self):
        return "[options]"

    def short_desc(self):
        return "Mark the posts of FINEWS_ARCHIVE_DIR (and its old-posts folder) done in FINEWS_REDIS_URL"

    def run(self, args, opts):
        if args:
            raise UsageError("seed_redis takes no arguments; use -s FINEWS_ARCHIVE_DIR=... -s FINEWS_REDIS_URL=...")
        if not self.settings.get("FINEWS_REDIS_URL"):
            raise UsageError("set -s FINEWS_REDIS_URL=redis://host:port/db")
        archive = Archive.from_settings(self.settings)
        added = archive.shared.seed(archive.known)
        print(f"{len(archive.known)} posts in {archive.root}: {added} new to {archive.shared.done_key}")
