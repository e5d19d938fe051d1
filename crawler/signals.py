"""This project's own Scrapy signals (sent with crawler.signals, like Scrapy's own).

article_failed(key, reason[, url]): an article the spider asked for gives no item (its download
failed after the retries, or its page could not be parsed); the run's archive owner
(crawler/extensions/archive_run.py) counts it, releases its claim and, when the reason is the
page's content, remembers it (crawler/drops.py).
"""

article_failed = object()
