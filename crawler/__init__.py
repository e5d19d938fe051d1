"""finews-crawler: East Money news into Jekyll posts (Scrapy project package)."""
