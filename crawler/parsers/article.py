"""Article page HTML -> Article, for both East Money templates.

New template (2022-): div.contentbox > div.title, div.infos > div.item (time,
来源), div.txtinfos#ContentBody. Old template (-2021): div.newsContent > h1,
div.time-source > div.time / div.source[data-source], div#ContentBody.Body.
"""

import re

from lxml import etree
from lxml import html as lxml_html

from crawler.ids import article_id_from_url, canonical_url, info_code
from crawler.items import FALLBACK, MISSING, PAGE, Article, ListEntry, Provenance
from crawler.parsers.body import clean_body
from crawler.parsers.dates import find_datetime
from crawler.parsers.errors import ParseError
from crawler.parsers.securities import tagged
from crawler.parsers.selectors import ARTICLE_END_MARKS, BODY_XPATH, HEADER_SOURCE_XPATHS, TIME_XPATHS, TITLE_XPATHS
from crawler.parsers.text import clean_text

# Budget of one article page (up to the end of the article): a real one has a few thousand tags.
MAX_TAGS = 100_000
_END_TAG_RE = re.compile(r"</(?:body|html)\s*>", re.I)
_ARTICLE_END_MARKS_BYTES = tuple(mark.encode() for mark in ARTICLE_END_MARKS)
_UTF8_PARSER = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True)
# TITLE_XPATHS and TIME_XPATHS begin with the new template's place, then the old one's: the page's own
# markup (Provenance PAGE); the generic selectors after them are fallbacks. Every header source
# selector is a place of one template.
TEMPLATE_PLACES = 2


def parse_article(html: str | bytes, url: str, listed: ListEntry | None = None) -> Article:
    """Parse an article page (see parse_article_with_provenance); ParseError when it gives none."""
    return parse_article_with_provenance(html, url, listed)[0]


def parse_article_with_provenance(
    html: str | bytes, url: str, listed: ListEntry | None = None
) -> tuple[Article, Provenance]:
    """Parse an article page; `listed` is the list entry that led to it, if any.

    The list's time wins when it has one (the list API's showTime has seconds;
    pages show minutes); the list's title and media name are fallbacks only. A page that names
    no media gives source "": whether a post needs one is its feed's rule (a per-media post does,
    a 7x24 post does not). The stocks and boards are those East Money tagged in the body, in order,
    then those the list tagged the entry with (7x24 stockList) that the body does not.
    Returns the article and where its fields came from (crawler.items.Provenance).
    Raises ParseError when the page cannot give an article.
    """
    article_id = listed.article_id if listed else article_id_from_url(url)
    if not article_id:
        raise ParseError("no_id", url)
    text = html if isinstance(html, str) else html.decode("ascii", "ignore")  # enough to find tags
    if not text.strip():
        raise ParseError("empty_page", url)
    if not (_END_TAG_RE.search(text, len(text) - 4096) or _END_TAG_RE.search(text)):  # the tail first: fast
        raise ParseError("truncated", f"{url}: no </body> or </html>")
    article_part = _up_to_article_end(html)
    tags = article_part.count("<" if isinstance(article_part, str) else b"<")
    if tags > MAX_TAGS:  # lxml's tree would take ~1 KB of memory a tag, the walk its time
        raise ParseError("too_many_elements", f"{url}: {tags} tags, more than {MAX_TAGS}")
    doc = _document(article_part)
    bodies = doc.xpath(BODY_XPATH)
    if not bodies:
        raise ParseError("no_body", url)
    title, title_at = _first_text(doc, TITLE_XPATHS)
    title_from = PAGE if title_at < TEMPLATE_PLACES else FALLBACK
    title = title or (listed.title if listed else "")
    if not title:
        raise ParseError("no_title", url)
    listed_time = listed.published_at if listed else None
    page_time, time_at = _page_time(doc, TIME_XPATHS[:TEMPLATE_PLACES] if listed_time else TIME_XPATHS)
    published_at = listed_time or page_time
    if published_at is None:
        raise ParseError("no_time", url)
    paragraphs, media, mentions = clean_body(bodies[0], canonical_url(article_id))
    if not paragraphs:
        raise ParseError("empty_body", url)
    named = media or _header_source(doc)  # the page's own
    source = named or (listed.source if listed else "")  # "": the page names no media
    provenance = Provenance(
        title=title_from,
        time=PAGE if time_at < TEMPLATE_PLACES else FALLBACK,
        source=PAGE if named else FALLBACK if source else MISSING,
        body=PAGE,
        stocks=PAGE if mentions else FALLBACK if listed and listed.secids else MISSING,
    )
    stocks, boards = tagged([*mentions, *((secid, "") for secid in (listed.secids if listed else ()))])
    article = Article(
        info_code=info_code(article_id),
        url=canonical_url(article_id),
        title=title,
        published_at=published_at,
        source=source,
        paragraphs=paragraphs,
        stocks=stocks,
        boards=boards,
    )
    return article, provenance


def _up_to_article_end(html: str | bytes) -> str | bytes:
    """The page up to what follows the article (comment bar, right column): no need to parse the rest.

    Both templates put the title, time, source and #ContentBody before these marks; a page
    without them is parsed whole.
    """
    marks = ARTICLE_END_MARKS if isinstance(html, str) else _ARTICLE_END_MARKS_BYTES
    body = html.find(marks[0])
    if body < 0:
        return html
    ends = [end for end in (html.find(mark, body) for mark in marks[1:]) if end > 0]
    return html[: min(ends)] if ends else html


def _document(html: str | bytes):
    if isinstance(html, str):
        html, parser = html.encode("utf-8"), _UTF8_PARSER  # bytes let lxml ignore an encoding declaration in a str
    else:
        parser = _PARSER  # bytes: lxml honours the page's <meta charset>
    try:
        doc = lxml_html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError("empty_page", str(exc)) from None
    return doc


def _text(node) -> str:
    return clean_text(node if isinstance(node, str) else node.text_content())


def _first_text(doc, xpaths) -> tuple[str, int]:
    """The first text found, and the index of the XPath that found it (len(xpaths): none)."""
    for at, xpath in enumerate(xpaths):
        for node in doc.xpath(xpath):
            text = _text(node)
            if text:
                return text, at
    return "", len(xpaths)


def _page_time(doc, xpaths=TIME_XPATHS):
    """The page's time, and the index of the XPath that found it (len(TIME_XPATHS): none)."""
    for at, xpath in enumerate(xpaths):
        for node in doc.xpath(xpath):
            found = find_datetime(_text(node))
            if found:
                return found, at
    return None, len(TIME_XPATHS)


def _header_source(doc) -> str:
    for xpath in HEADER_SOURCE_XPATHS:
        for node in doc.xpath(xpath):
            text = re.sub(r"^.*?来源\s*[:：]", "", _text(node)).strip()
            if text:
                return text
    return ""
