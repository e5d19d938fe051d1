"""Pure parsers: page text and URL in, typed records out. No Scrapy imports.

Every parser raises ParseError (with a short `reason`) when a page cannot give
its record, and never returns half a record.
"""

from crawler.parsers.article import parse_article, parse_article_with_provenance
from crawler.parsers.errors import ParseError
from crawler.parsers.lists import parse_fast_list, parse_list_api, parse_list_html

__all__ = [
    "ParseError",
    "parse_article",
    "parse_article_with_provenance",
    "parse_fast_list",
    "parse_list_api",
    "parse_list_html",
]
