"""Benchmarks of finews-crawler: each module prints its figures (see bench/README.md)."""
