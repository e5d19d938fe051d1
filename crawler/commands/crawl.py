"""`scrapy crawl`, checking spider arguments first and exiting with the run's status for cron.

Exit statuses: crawler/summary.py EXIT_STATUS, and Scrapy's own 1 (could not start) and
2 (usage error, e.g. a bad -a argument).
"""

from scrapy.commands.crawl import Command as ScrapyCrawlCommand


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        if len(args) == 1 and args[0] in self.crawler_process.spider_loader.list():
            spidercls = self.crawler_process.spider_loader.load(args[0])
            if hasattr(spidercls, "parse_arguments"):
                spidercls.parse_arguments(**opts.spargs)  # a UsageError here: message, exit status 2
        super().run(args, opts)
        if not self.exitcode:
            self.exitcode = self.crawler.stats.get_value("finews/exit_status", 0)

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)  # kept to read its stats once it has run
        return self.crawler
