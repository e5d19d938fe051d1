"""This project's own Scrapy signals (sent with crawler.signals, like Scrapy's own).

article_failed(key, reason): an article the spider asked for gives no item (its download
failed after the retries, or its page could not be parsed); the run's archive owner
(crawler/extensions/archive_run.py) counts it and releases its claim.
"""

article_failed = object()
