"""Article body (#ContentBody) -> clean HTML blocks, plus the em_media source line.

Walks the body's children in order, drops East Money junk (hidden paragraphs,
quote charts, ads, promo lines), unwraps stock auto-links to their text, makes
image URLs absolute https, and passes each block through an allowlist sanitizer.
Stops at the source line (`p.em_media`) or the editor line: what follows is not
article text.
"""

import re
from urllib.parse import urljoin

import nh3
from lxml import html as lxml_html

from crawler.parsers.text import clean_text

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "sub", "sup", "a", "img",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "ul", "ol", "li",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}

_PARAGRAPH_TAGS = {"p", "center", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}  # become <p>
_CONTAINER_TAGS = {"div", "section", "article", "span", "font"}  # flattened into their children
_DROPPED_TAGS = {"script", "style", "iframe", "noscript", "form", "input", "button", "object", "embed", "link", "meta"}
_JUNK_CLASS_RE = re.compile(r"(?:^|\s)(?:ad_\w*|adv|em_handle_adv_close|toplink|EmImageRemark|b-review|res-edit)(?:\s|$)")
_HIDDEN_RE = re.compile(r"display\s*:\s*none", re.I)
_AUTOLINK_HOST_RE = re.compile(r"^(?:https?:)?//(?:quote|data|baike)\.eastmoney\.com/", re.I)
_JUNK_IMAGE_RE = re.compile(r"webquoteklinepic\.eastmoney\.com|acttg\.eastmoney\.com", re.I)
_JUNK_TEXT = ("在东方财富看资讯行情", "主力资金加仓名单", "全新妙想投研助理", "扫一扫下载", "免责声明：本文基于AI生产")
_END_TEXT = ("(责任编辑", "（责任编辑", "责任编辑：", "郑重声明", "网友评论")
_SPACE = " \t\r\n\u3000\xa0"
_SPACE_RE = re.compile(f"[{_SPACE}]+")
_TRAILING_BLANK_RE = re.compile(r"(?:\s|\u3000|<br>|&nbsp;)+(</p>)$")  # trailing spacers inside a paragraph


def clean_body(body, base_url: str) -> tuple[list[str], str]:
    """Clean blocks of a ContentBody element and the media name of its em_media line ("" if none)."""
    walker = _BodyWalker(base_url)
    walker.walk(body)
    walker.flush()
    return walker.blocks, walker.media


def media_from_em_line(text: str) -> str:
    """"（文章来源：安信国际证券(香港)）" -> "安信国际证券(香港)"; keeps inner parentheses of either width."""
    text = clean_text(text)
    wrapped = text[:1] in "（("
    if wrapped:
        text = text[1:]
        if text[-1:] in "）)":
            text = text[:-1]
    match = re.match(r"\s*(?:文章)?来源\s*[:：]\s*(.*)$", text)
    return match.group(1).strip() if match else ""


class _BodyWalker:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.blocks: list[str] = []
        self.media = ""
        self.done = False
        self._run = lxml_html.Element("p")  # top-level inline content waiting to become a paragraph

    def walk(self, parent) -> None:
        self._add_text(parent.text)
        for child in list(parent):  # a copy: inline children move into the pending run
            if self.done:
                return
            tail = child.tail
            self._visit(child)
            self._add_text(tail)

    def flush(self) -> None:
        if len(self._run) or (self._run.text or "").strip(_SPACE):
            self._emit(self._run)
        self._run = lxml_html.Element("p")

    def _visit(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in _DROPPED_TAGS or _is_junk(el):
            return  # comments, scripts, ads, hidden blocks
        classes = el.get("class") or ""
        if "em_media" in classes.split():
            self.media = media_from_em_line(el.text_content())
            self.done = True
        elif tag in ("table", "ul", "ol"):
            self.flush()
            self._emit(el)
        elif tag in _PARAGRAPH_TAGS:
            self.flush()
            el.tag = "p"
            self._emit(el)
        elif tag in _CONTAINER_TAGS and el.xpath("p|div|table|center"):
            self.flush()
            self.walk(el)
            self.flush()
        elif tag == "br":
            self.flush()
        else:  # inline content at the top level of the body; walk() adds its tail
            el.tail = None
            self._run.append(el)

    def _add_text(self, text: str | None) -> None:
        if not text:
            return
        if len(self._run):
            self._run[-1].tail = (self._run[-1].tail or "") + text
        else:
            self._run.text = (self._run.text or "") + text

    def _emit(self, block) -> None:
        compact = _SPACE_RE.sub("", block.text_content())
        if compact.startswith(_END_TEXT):
            self.done = True
            return
        if compact.startswith(_JUNK_TEXT):
            return
        _strip_junk(block)
        _fix_links(block, self.base_url)
        if not _SPACE_RE.sub("", block.text_content()) and not block.xpath(".//img|self::table"):
            return  # empty block or spacer such as <p><br/></p>
        _lstrip(block)
        html = nh3.clean(
            lxml_html.tostring(block, encoding="unicode", with_tail=False),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https"},
            link_rel=None,
            strip_comments=True,
        ).strip()
        html = _TRAILING_BLANK_RE.sub(r"\1", html)
        if html:
            self.blocks.append(html)


def _is_junk(el) -> bool:
    return bool(_JUNK_CLASS_RE.search(el.get("class") or "") or _HIDDEN_RE.search(el.get("style") or ""))


def _strip_junk(block) -> None:
    """Remove ads, quote charts, hidden spans and other junk inside one block."""
    for el in list(block.iter()):
        if el is block or el.getparent() is None or not isinstance(el.tag, str):
            continue
        junk = el.tag in _DROPPED_TAGS or _is_junk(el)
        junk = junk or (el.tag == "a" and _JUNK_IMAGE_RE.search(el.get("href") or ""))
        junk = junk or (el.tag == "img" and _JUNK_IMAGE_RE.search(el.get("src") or ""))
        if junk:
            el.drop_tree()  # keeps the tail text


def _fix_links(block, base_url: str) -> None:
    """Unwrap stock/keyword auto-links; make link and image URLs absolute (images https)."""
    for a in block.xpath(".//a"):
        href = _web_url(a.get("href"), base_url)
        classes = (a.get("class") or "").split()
        if "keytip" in classes or "infokey" in classes or not href or _AUTOLINK_HOST_RE.match(href):
            a.drop_tag()  # auto-links and links that are not http(s) keep only their text
        else:
            a.attrib.clear()
            a.set("href", href)
    for img in block.xpath(".//img"):
        src = _web_url(img.get("src") or img.get("data-src"), base_url)
        if not src:
            img.drop_tree()
            continue
        alt = img.get("alt")
        img.attrib.clear()
        img.set("src", re.sub(r"^http://", "https://", src))
        if alt and alt.strip() and alt.strip().lower() not in ("image", "图片"):
            img.set("alt", alt.strip())


def _web_url(url: str | None, base_url: str) -> str:
    """`url` made absolute, or "" unless it is http(s) (javascript:, data: and the like)."""
    absolute = urljoin(base_url, (url or "").strip()) if url and url.strip() else ""
    return absolute if absolute.lower().startswith(("http://", "https://")) else ""


def _lstrip(block) -> None:
    """Strip the leading "　　" indent (and other blank) from the block's first text."""
    el = block
    while True:
        if el.text and el.text.strip(_SPACE):
            el.text = el.text.lstrip(_SPACE)
            return
        el.text = None
        children = [c for c in el if isinstance(c.tag, str)]
        if not children or children[0].tag in ("img", "br", "table"):
            return
        el = children[0]
