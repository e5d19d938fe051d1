"""Benchmark 1: article parser + post writer (no I/O) against trafilatura, on one core.

Pages: the mirror's 64 article pages and 2,000 generated ones (both templates, 8-200 KB; see
bench/pages.py), then 2,000 grown in the body only (the worst case for our parser). Every page
must give exactly the right title, time and media name; both extractors run over the same
pages in this process, and the throughput ratios are printed.
Run: python -m bench.parse [--pages 2000]
"""

import argparse
import time
from datetime import datetime

from bench.pages import generated_pages, mirror_pages
from crawler import settings
from crawler.archive.render import render_post
from crawler.archive.slugs import category_slug
from crawler.items import SHANGHAI
from crawler.parsers import parse_article

TARGET_RATIO = 20.0


def ours(pages) -> float:
    """Seconds to parse and render every page; asserts the exact fields on the way."""
    start = time.perf_counter()
    for truth, page in pages:
        article = parse_article(page, f"https://finance.eastmoney.com/a/{truth['id']}.html")
        render_post(article, category_slug(article.source), settings.FINEWS_SHARE_URL, settings.FINEWS_SITE_URL)
        expected_time = datetime.strptime(truth["page_time"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
        assert (article.title, article.published_at, article.source) == (truth["title"], expected_time, truth["source"])
    return time.perf_counter() - start


def trafilatura_extract(pages) -> float:
    import trafilatura

    start = time.perf_counter()
    for _, page in pages:
        trafilatura.extract(page, with_metadata=True)
    return time.perf_counter() - start


def compare(name: str, pages) -> float:
    size = sum(len(page.encode()) for _, page in pages) / len(pages) / 1000
    ours_seconds = ours(pages)
    trafilatura_seconds = trafilatura_extract(pages)
    ratio = trafilatura_seconds / ours_seconds
    print(f"{name}: {len(pages)} pages, mean {size:.0f} KB; exact title/time/source on every page")
    print(
        f"  finews parse+render {len(pages) / ours_seconds:8.1f} pages/s  ({ours_seconds / len(pages) * 1000:.2f} ms/page)"
    )
    print(
        f"  trafilatura extract {len(pages) / trafilatura_seconds:8.1f} pages/s  ({trafilatura_seconds / len(pages) * 1000:.2f} ms/page)"
    )
    print(f"  ratio {ratio:.1f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="generated pages per set (default 2000)")
    args = parser.parse_args()
    ours(mirror_pages())  # warm-up: imports and caches
    typical = compare(
        "mirror + generated pages (body 10-50% of each page's growth)", mirror_pages() + generated_pages(args.pages)
    )
    compare("worst case: generated pages grown in the body only", generated_pages(args.pages, body_share=1.0))
    print(f"target >= {TARGET_RATIO:.0f}x on the typical set: {'met' if typical >= TARGET_RATIO else 'MISSED'}")


if __name__ == "__main__":
    main()
