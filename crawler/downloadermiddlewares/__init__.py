"""Downloader middlewares (DOWNLOADER_MIDDLEWARES)."""
