"""The archive's two post formats as text, and the index pages the posts link to.

Per-media posts: fixtures/reference/seed-post.md; emnews (7x24 feed) posts:
fixtures/reference/posts/emnews/. Items are read by field name (crawler/items.py `fields`),
so an Article, a FastNews or a dict with their fields renders alike. Which format an item
gets is its feed's choice (crawler/archive/feeds.py).
"""

import html
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import yaml

from crawler.archive import layout
from crawler.ids import canonical_url
from crawler.items import SHANGHAI, fields

# Characters that would end or break a Markdown link target; percent-encoded there.
_LINK_UNSAFE = {c: f"%{ord(c):02X}" for c in ' ()<>[]"\\%#?'}
_LIQUID_RE = re.compile(r"\{[{%]")
_YAML_JSON_SAFE_RE = re.compile(r"[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
_HEADLINE_RE = re.compile(r"^\s*【[^】]*】\s*")
# A stock's secid as East Money writes one (crawler/parsers/securities.py): no board, nothing a URL could not hold.
_SECID_RE = re.compile(r"(?:[01]\.[0-9]{6}|116\.[0-9]{5}|10[567]\.[A-Z][A-Z0-9]{0,7}(?:[._][A-Z0-9]{1,4})?)")
# plain_is_string: what a plain scalar may start with, may not hold, may not be or look like.
_PLAIN_FIRST_RE = re.compile(r"[0-9A-Za-z_(/]|[^\x00-\x7f\s]")
_PLAIN_BREAK_RE = re.compile(r": | #|:$")
_YAML_WORD_RE = re.compile(r"(?i)y|n|yes|no|true|false|on|off|null|~")
_NUMBER_LIKE_RE = re.compile(
    r"(?i)[-+]?(0[xob][0-9a-f_,]*|[0-9_,.:]+(e[-+]?[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)"
)
# Characters with which kramdown (Jekyll's GFM input) would make markup out of text: links and
# images, attribute lists, math, code, emphasis, tables; backslash-escaped. "~" (strikethrough)
# has no backslash escape in kramdown: written as an entity. A block marker at the start too.
_MARKDOWN_ACTIVE_RE = re.compile(r"([\\`*_{}\[\]|$])")
_BLOCK_START_RE = re.compile(r"^(#|[+=-](?=\s)|[0-9]+(?=\.\s))")  # a heading, list item or rule
FAST_FEED_CATEGORY = layout.FAST_NEWS_DIR  # the 7x24 posts' category, named as its folder
FAST_FEED_LABEL = "东财滚动新闻"


def has_liquid(text: str) -> bool:
    """Whether `text` holds Liquid markup (`{{` or `{%`): its post needs `render_with_liquid: false`."""
    return _LIQUID_RE.search(text) is not None


def yaml_quoted(value: str) -> str:
    """A double-quoted YAML scalar that loads back as `value`, whatever it contains.

    For printable text, JSON's string syntax is YAML's double-quoted one (and much faster to
    produce); anything else (line separators, C1 controls, ...) goes through PyYAML.
    """
    if _YAML_JSON_SAFE_RE.fullmatch(value):
        return json.dumps(value, ensure_ascii=False)
    return yaml.safe_dump(value, allow_unicode=True, default_style='"', width=float("inf")).rstrip("\n")


@lru_cache(maxsize=4096)  # slugs and tags repeat from post to post
def yaml_scalar(value: str) -> str:
    """`value` as a plain YAML scalar when it is a plain string (as the archive writes ordinary names
    and slugs), else double-quoted: Jekyll reads exactly `value` either way."""
    return value if plain_is_string(value) else yaml_quoted(value)


@lru_cache(maxsize=4096)  # doctor asks for every plain value of every post
def plain_is_string(value: str) -> bool:
    """Whether `value`, written plain after `key: `, is read back as exactly `value` by Jekyll (Psych,
    YAML 1.1, safe load) and by PyYAML alike: a conservative allowlist, since the two differ (`:x` is
    a Symbol Jekyll refuses; `01:30`, `1,000` and `yEs` are numbers and booleans to Psych only).
    Plain: printable, first character a letter, digit, `(`, `_`, `/` or non-ASCII, no space at either
    end, no `: `, ` #` or final `:`, no YAML 1.1 word (yes, No, null, ...), nothing number- or
    date-like (0x1F, 1e3, 1_000, 12:30, 2024-01-01...), and PyYAML reads it back unchanged."""
    if not (_YAML_JSON_SAFE_RE.fullmatch(value) and _PLAIN_FIRST_RE.match(value)) or value[-1].isspace():
        return False
    if _PLAIN_BREAK_RE.search(value) or _YAML_WORD_RE.fullmatch(value) or _NUMBER_LIKE_RE.fullmatch(value):
        return False
    try:
        return yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        return False


def category_link(site_url: str, slug: str) -> str:
    return f"{site_url}/{layout.CATEGORY_DIR}/{''.join(_LINK_UNSAFE.get(c, c) for c in slug)}.html"


def render_post(item: Any, slug: str, share_url: str, site_url: str, stocks: bool = False) -> str:
    """A per-media post: front matter (with `stocks`, its stocks' secids), body blocks, source line,
    share link and back links."""
    article = fields(item)
    source_label = f"{article['source']}新闻"
    link_label = markdown_text(source_label)
    body = "\n".join(article["paragraphs"]) + em_media_line(article["source"])
    return _post(
        article["title"],
        article["published_at"],
        slug,
        source_label,
        [
            body,
            f"<{share_url.format(info_code=article['info_code'])}>",
            f"[返回{link_label}]({category_link(site_url, slug)})｜[返回首页]({site_url}/)",
        ],
        secids(article) if stocks else (),
    )


def render_fast_post(item: Any, site_url: str, stocks: bool = False) -> str:
    """An emnews post (the 7x24 feed): the summary as a quote, the article's blocks, links.

    The summary loses a leading 【headline】 (the feed repeats the title there); a news item
    whose article page could not be read is posted from its summary alone.
    """
    news = fields(item)
    source, paragraphs = news.get("source") or "", news.get("paragraphs") or []
    summary = quote_text(_HEADLINE_RE.sub("", news.get("summary") or ""))
    blocks = "\n".join(paragraphs) + (em_media_line(source) if paragraphs and source else "")
    parts = [
        f"> {summary}" if summary else "",
        blocks,
        f"<{canonical_url(news['article_id'])}>",
        f"[返回{FAST_FEED_LABEL}]({site_url}/{FAST_FEED_CATEGORY}/)｜[返回首页]({site_url}/)",
    ]
    return _post(
        news["title"],
        news["published_at"],
        FAST_FEED_CATEGORY,
        FAST_FEED_LABEL,
        [p for p in parts if p],
        secids(news) if stocks else (),
    )


def secids(item: Mapping) -> list[str]:
    """The secids of an item's `stocks` (crawler/parsers/securities.py), in order, each once, well formed."""
    listed = item.get("stocks") or []
    found = (stock.get("secid") if isinstance(stock, Mapping) else None for stock in listed)
    return list(dict.fromkeys(s for s in found if isinstance(s, str) and _SECID_RE.fullmatch(s)))


def stocks_line(secids: Iterable[str]) -> str:
    """`stocks: ["1.600030", "0.002353"]`, quoted (plain, Jekyll reads `1.600030` as a number)."""
    return f"stocks: [{', '.join(json.dumps(s) for s in secids)}]"


def markdown_text(text: str) -> str:
    """`text` as literal text in Markdown (a link label, a quote): HTML-escaped (no tag or entity of
    the source's comes through) and every character kramdown would act on escaped."""
    escaped = _MARKDOWN_ACTIVE_RE.sub(r"\\\1", html.escape(text, quote=False)).replace("~", "&#126;")
    return _BLOCK_START_RE.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), escaped)


def quote_text(text: str) -> str:
    """`text` as the literal text of a Markdown quote (`> text`): nothing in it acts (markdown_text)."""
    return markdown_text(text)


def html_text(text: str) -> str:
    """`text` as literal text inside an HTML element of a post, in an HTML block or in a Markdown
    line alike: HTML-escaped, and the characters kramdown acts on in a span as numeric entities
    (a backslash would show in an HTML block; an entity means the character in both)."""
    return _MARKDOWN_ACTIVE_RE.sub(lambda m: f"&#{ord(m.group(1))};", html.escape(text, quote=False)).replace(
        "~", "&#126;"
    )


def em_media_line(source: str) -> str:
    return f'<p class="em_media">（文章来源：{html_text(source)}）</p>'


def _post(title: str, published_at, category: str, tag: str, parts: list[str], stocks: list[str] = ()) -> str:
    """Front matter in the archive's order (then `stocks:` when given), then the parts separated by blank lines."""
    body = "\n\n".join(parts)
    front_matter = [
        "layout: post",
        f"title: {yaml_quoted(title)}",
        f"date: {published_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S +0800}",
        f"categories: {yaml_scalar(category)}",
        f"tags: {yaml_scalar(tag)}",
    ]
    if stocks:
        front_matter.append(stocks_line(stocks))
    if has_liquid(body) or has_liquid(title):
        front_matter.append("render_with_liquid: false")  # Jekyll >= 4.0: show Liquid text, never run it
    return "---\n" + "\n".join(front_matter) + "\n---\n" + body


def render_category_page(source: str, slug: str) -> str:
    """The category page a per-media post's back link points to."""
    return _index_page(source + "新闻", slug)


def render_fast_feed_index() -> str:
    """The emnews index page the emnews posts' back link points to (`/emnews/`)."""
    return _index_page(FAST_FEED_LABEL, FAST_FEED_CATEGORY, f"/{FAST_FEED_CATEGORY}/")


def _index_page(title: str, category: str, permalink: str | None = None) -> str:
    lines = ["layout: category", f"title: {yaml_quoted(title)}", f"category: {yaml_scalar(category)}"]
    if permalink:
        lines.append(f"permalink: {permalink}")
    return "---\n" + "\n".join(lines) + "\n---\n"
