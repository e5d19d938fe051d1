"""Scrapy extensions (EXTENSIONS): the run's archive, its summary and exit status, progress, shared work."""
