"""`scrapy crawl`, exiting with the run's status (crawler/summary.py EXIT_STATUS) for cron."""

from scrapy.commands.crawl import Command as ScrapyCrawlCommand


class Command(ScrapyCrawlCommand):
    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)  # kept to read its stats once it has run
        return self.crawler

    def run(self, args, opts):
        super().run(args, opts)
        if not self.exitcode:
            self.exitcode = self.crawler.stats.get_value("finews/exit_status", 0)
