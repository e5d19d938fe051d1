"""`scrapy crawl`, checking the spider name, its arguments and the settings first, and exiting with the run's status.

Everything a run needs is checked before Scrapy starts (and prints its version lines): an unknown
spider, a bad -a argument or a bad FINEWS_* setting is one line on stderr and exit status 2. The
run's exit status (crawler/exitstatus.py) is what its stats say (crawler/extensions/summary.py);
Scrapy's own 1 when it could not start.
"""

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from crawler import statkeys as keys
from crawler.commands import checked_settings, command_name, refuse_unknown_options, say_errors_in_one_line
from crawler.exitstatus import ExitStatus


class Command(ScrapyCrawlCommand):
    crawler = None  # the run's crawler, once run() has made it: its stats give the exit status
    spidercls = None

    def add_options(self, parser):
        super().add_options(parser)
        say_errors_in_one_line(parser, command_name(self))

    def process_options(self, args, opts):
        super().process_options(args, opts)
        self.spidercls = self.checked_spider(args, opts)

    def checked_spider(self, args: list[str], opts: argparse.Namespace) -> type:
        """The spider class `args` names, its arguments and the settings checked: UsageError otherwise."""
        refuse_unknown_options(args, command_name(self))
        loader = get_spider_loader(self.settings)
        names = ", ".join(sorted(loader.list()))
        if len(args) != 1:
            raise UsageError(f"name one spider: {names}")
        try:
            spidercls = loader.load(args[0])
        except KeyError:
            raise UsageError(f"no spider {args[0]!r}: use one of {names}") from None
        checked_settings(self.settings)  # before anything is requested
        if hasattr(spidercls, "parse_arguments"):
            spidercls.parse_arguments(**opts.spargs)  # raises UsageError naming the argument
        return spidercls

    def run(self, args, opts):
        # Scrapy's own crawl run() (2.18-2.19), but the crawler is made here with the public
        # create_crawler() and kept; left out: its warning when FEEDS is set and FeedExporter is off.
        self.crawler = self.crawler_process.create_crawler(self.spidercls)
        self.crawler_process.crawl(self.crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = ExitStatus.FAILED
        else:
            # No exit status: the run never reached its spider_closed (a second Ctrl-C, SIGTERM): stopped early.
            self.exitcode = self.crawler.stats.get_value(keys.EXIT_STATUS, ExitStatus.STOPPED_EARLY)
