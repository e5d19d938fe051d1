"""Render Articles as Jekyll posts and category pages in the archive's format (seed-post.md)."""

import html
import re

import yaml

from crawler.items import Article
from crawler.parsers.dates import SHANGHAI

# Characters that would end or break a Markdown link target; percent-encoded there.
_LINK_UNSAFE = {c: f"%{ord(c):02X}" for c in ' ()<>[]"\\%#?'}
_LIQUID_RE = re.compile(r"\{[{%]")


def yaml_quoted(value: str) -> str:
    """A double-quoted YAML scalar that loads back as `value`, whatever it contains."""
    return yaml.safe_dump(value, allow_unicode=True, default_style='"', width=float("inf")).rstrip("\n")


def yaml_scalar(value: str) -> str:
    """`value` as a plain YAML scalar when it reads back unchanged (as the archive writes), else quoted."""
    try:
        if "\n" not in value and yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return yaml_quoted(value)


def category_link(site_url: str, slug: str) -> str:
    return f"{site_url}/category/{''.join(_LINK_UNSAFE.get(c, c) for c in slug)}.html"


def render_post(article: Article, slug: str, share_url: str, site_url: str) -> str:
    """The post file's full text: front matter, body blocks, source line, share and back links."""
    source_label = f"{article.source}新闻"
    link_label = re.sub(r"([\[\]\\])", r"\\\1", source_label)
    body = "\n".join(article.paragraphs) + f'<p class="em_media">（文章来源：{html.escape(article.source, quote=False)}）</p>'
    front_matter = [
        "layout: post",
        f"title: {yaml_quoted(article.title)}",
        f"date: {article.published_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S +0800}",
        f"categories: {yaml_scalar(slug)}",
        f"tags: {yaml_scalar(source_label)}",
    ]
    if _LIQUID_RE.search(body) or _LIQUID_RE.search(article.title):
        front_matter.append("render_with_liquid: false")  # Jekyll >= 4.0: show Liquid text, never run it
    return (
        "---\n" + "\n".join(front_matter) + "\n---\n"
        + body + "\n\n"
        + f"<{share_url.format(info_code=article.info_code)}>\n\n"
        + f"[返回{link_label}]({category_link(site_url, slug)})｜[返回首页]({site_url}/)"
    )  # fmt: skip


def render_category_page(source: str, slug: str) -> str:
    """The category page a post's back link points to."""
    return f"---\nlayout: category\ntitle: {yaml_quoted(source + '新闻')}\ncategory: {yaml_scalar(slug)}\n---\n"
