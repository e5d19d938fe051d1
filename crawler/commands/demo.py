"""`scrapy demo`: crawl the bundled East Money mirror on loopback into a fresh archive folder."""

from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.commands.crawl import Command as CrawlCommand
from crawler.mirror import mirror_settings, serve
from crawler.summary import run_report, summary_text


class Command(CrawlCommand):
    def syntax(self):
        return "[options] [ARCHIVE_DIR]"

    def short_desc(self):
        return "Serve fixtures/site on 127.0.0.1 and crawl it with `eastmoney` into ARCHIVE_DIR (default demo-archive)"

    def process_options(self, args, opts):
        super().process_options(args, opts)
        if len(args) > 1:
            raise UsageError("at most one ARCHIVE_DIR")
        self.archive = Path(args[0] if args else "demo-archive").resolve()
        # Quiet by default (the summary is printed at the end); above the project's INFO, below -L/-s.
        self.settings.set("LOG_LEVEL", "WARNING", priority="spider")
        self.server, base_url = serve()
        for name, value in {**mirror_settings(base_url), "FINEWS_ARCHIVE_DIR": str(self.archive)}.items():
            self.settings.set(name, value, priority="cmdline")
        print(f"East Money mirror at {base_url}; archive at {self.archive}")

    def run(self, args, opts):
        try:
            super().run(["eastmoney"], opts)
        finally:
            self.server.shutdown()
        if hasattr(self, "crawler"):
            print(summary_text(run_report(self.crawler.stats.get_stats(), "eastmoney")))
            print(f"Posts are in {self.archive / '_posts'}; run it again and nothing new is written.")
