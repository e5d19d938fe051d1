"""Article body (#ContentBody) -> clean HTML blocks, the em_media source line, the securities tagged.

One pass over the body drops East Money junk (hidden paragraphs, quote charts, ads),
unwraps stock auto-links to their text and makes link and image URLs absolute (images
https). Then the body's children are walked in order into blocks, promo lines are
dropped, and all blocks go through an allowlist sanitizer (nh3) in one call. The walk
stops at the source line (`p.em_media`) or the editor line: what follows is not article text.

Securities (crawler/parsers/securities.py) count where the text counts: before the links are
unwrapped, each one East Money tagged leaves an empty mark in its place, and a block that is kept
(or a spacer, such as what is left of a quote chart) gives up its marks before it is trimmed, so the
blocks are exactly what they would be without them. Marks in junk, promo lines, the source line and
after the end of the article are never taken.
"""

import re
from html import escape
from urllib.parse import urljoin

import nh3
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

from crawler.bodyhtml import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from crawler.parsers.securities import MAX_MENTIONS, mention
from crawler.parsers.selectors import (
    AUTOLINK_XPATH,
    CHART_CLASS,
    END_TEXT,
    HIDDEN_STYLE_RE,
    JUNK_CANDIDATES_XPATH,
    JUNK_CLASS_RE,
    JUNK_TEXT,
    JUNK_URL_RE,
    MEDIA_CLASS,
    SECURITY_SPANS_XPATH,
)
from crawler.parsers.text import clean_text

_PARAGRAPH_TAGS = {"p", "center", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}  # become <p>
_CONTAINER_TAGS = {"div", "section", "article"}  # flattened into their children
_DROPPED_TAGS = {"script", "style", "iframe", "noscript", "form", "input", "button", "object", "embed", "link", "meta"}
_SPACE = " \t\r\n\u3000\xa0"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_TRAILING_SPACERS = ("<br>", "&nbsp;")  # as the sanitizer writes them; with blanks, trimmed before </p>
_SEPARATOR = "\ue000"  # a private-use character between blocks, for one sanitizer call per article
_DROP = "finews-drop"  # the tag junk is renamed to before it is removed
_SPLIT = "finews-split"  # not an allowed tag: the sanitizer removes it and keeps the texts around it
_MARK = "finews-security"  # an empty element where a security was tagged
_LINKS = etree.XPath(f"{AUTOLINK_XPATH} | {SECURITY_SPANS_XPATH}")  # auto-links, then spans tagging securities
_TEXT_PIECE = 2048  # characters: longer texts are sanitized in pieces
_TABLE_STRUCTURE = {"table", "thead", "tbody", "tfoot", "tr"}
_BLOCK_TAGS = {"p", "table", "ul", "ol"}  # what a block of the output is


def clean_body(body: HtmlElement, base_url: str) -> tuple[list[str], str, list[tuple[str, str]]]:
    """Clean blocks of a ContentBody element, the media name of its em_media line ("" if none), and the
    (secid, name) of each security East Money tagged in the blocks, in order (repeats included)."""
    mentions, marks = _prepare(body, base_url)
    walker = _BodyWalker(marks, _holders(body, marks))
    walker.walk(body)
    walker.flush()
    sequence = lxml_html.Element("div")  # the blocks in order, serialized and sanitized at once
    for block in walker.blocks:
        _split_long_texts(block)
        sequence.append(block)
        block.tail = _SEPARATOR
    html = lxml_html.tostring(sequence, encoding="unicode")[len("<div>") : -len("</div>")]
    pieces = _sanitize(html).split(_SEPARATOR)[:-1] if html.count(_SEPARATOR) == len(walker.blocks) else None
    if pieces is None or len(pieces) != len(walker.blocks):  # the page's own text held the separator
        pieces = [_sanitize(lxml_html.tostring(b, encoding="unicode", with_tail=False)) for b in walker.blocks]
    blocks = (_trim(block) for piece in pieces for block in _single_elements(piece.strip()))
    securities = [mentions[number] for number in walker.taken]
    return [block for block in blocks if block and block != "<p></p>"], walker.media, securities


def _single_elements(block: str) -> list[str]:
    """A sanitized block as blocks that are one element each, with no text outside it.

    The sanitizer parses as a browser does, which may split a block: a <div> inside a paragraph
    closes it (`<p></p>text<p></p>`), text inside a table but outside its cells moves before it.
    Text outside an element on a post's line is Markdown to kramdown (links, javascript: URLs):
    each loose run of text and inline elements becomes a paragraph of its own.
    """
    if block.startswith("<p>") and block.endswith("</p>") and block.count("</p>") == 1:
        return [block]  # a paragraph holds no block: the common case, decided without parsing
    if not block:
        return []
    root = lxml_html.fragment_fromstring(block, create_parent="div")
    if (
        not (root.text or "").strip(_SPACE)
        and len(root) == 1
        and root[0].tag in _BLOCK_TAGS
        and not (root[0].tail or "").strip(_SPACE)
    ):
        return [block]
    blocks, run = [], []

    def end_run() -> None:
        if "".join(run).strip(_SPACE):
            blocks.append("<p>" + "".join(run).strip(_SPACE) + "</p>")
        run.clear()

    run.append(escape(root.text or "", quote=False))
    for child in root:
        markup = lxml_html.tostring(child, encoding="unicode", with_tail=False)
        if child.tag in _BLOCK_TAGS:
            end_run()
            blocks.append(markup)
        else:
            run.append(markup)
        run.append(escape(child.tail or "", quote=False))
    end_run()
    return blocks


def _split_long_texts(block) -> None:
    """Cut texts longer than _TEXT_PIECE into pieces separated by an element the sanitizer removes.

    The sanitizer escapes a text in time quadratic in its escaped characters (&, <, nbsp);
    in pieces it is linear, and its output is the same.
    """
    for el in list(block.iter()):
        if not isinstance(el.tag, str) or el.tag in _TABLE_STRUCTURE:  # text there moves out of the table
            continue
        if el.text and len(el.text) > _TEXT_PIECE:
            pieces = _pieces(el.text)
            el.text = pieces[0]
            for piece in reversed(pieces[1:]):
                el.insert(0, _split_mark(piece))
        if el is not block and el.tail and len(el.tail) > _TEXT_PIECE:
            pieces = _pieces(el.tail)
            el.tail = pieces[0]
            for piece in reversed(pieces[1:]):
                el.addnext(_split_mark(piece))


def _pieces(text: str) -> list[str]:
    return [text[i : i + _TEXT_PIECE] for i in range(0, len(text), _TEXT_PIECE)]


def _split_mark(tail: str):
    mark = lxml_html.Element(_SPLIT)
    mark.tail = tail
    return mark


def _trim(block: str) -> str:
    """Drop trailing spacers (<br>, &nbsp;, blanks) inside a paragraph: one step back per spacer, linear."""
    if not block.endswith("</p>"):
        return block
    end = trimmed = len(block) - len("</p>")
    while end:
        if block[end - 1].isspace():
            end -= 1
        elif spacer := next((s for s in _TRAILING_SPACERS if block.endswith(s, 0, end)), None):
            end -= len(spacer)
        else:
            break
    return block if end == trimmed else block[:end] + "</p>"


def _sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
    )


def media_from_em_line(text: str) -> str:
    """ "（文章来源：安信国际证券(香港)）" -> "安信国际证券(香港)"; keeps inner parentheses of either width."""
    text = clean_text(text)
    wrapped = text[:1] in "（("
    if wrapped:
        text = text[1:]
        if text[-1:] in "）)":
            text = text[:-1]
    match = re.match(r"\s*(?:文章)?来源\s*[:：]\s*(.*)$", text)
    return match.group(1).strip() if match else ""


def _prepare(body, base_url: str) -> tuple[list[tuple[str, str]], list]:
    """Drop junk, mark the securities tagged, unwrap auto-links and spans, make link and image URLs
    absolute (XPath does the search). Returns the (secid, name) of each mark, and the marks (marks in
    junk are removed with it)."""
    junk = [el for el in body.xpath(JUNK_CANDIDATES_XPATH) if _is_junk(el)]
    for el in junk + list(body.iter(*_DROPPED_TAGS)):
        el.tag = _DROP  # removed below with their content, all at once
    mentions, marks = [], []
    for el in junk:  # a quote chart is junk, but what it shows is a security East Money tagged
        if CHART_CLASS in (el.get("class") or "").split() and not HIDDEN_STYLE_RE.search(el.get("style") or ""):
            _mark_security(el, mentions, marks)
    for el in _LINKS(body):  # in document order
        if el.tag == "a":
            el.tag = "span"
        _mark_security(el, mentions, marks)
    for a in body.iter("a"):
        href = _web_url(a.get("href"), base_url)
        a.attrib.clear()
        if href:
            a.set("href", href)
        else:
            a.tag = "span"  # javascript:, data: and the like: only the text stays
    etree.strip_tags(body, "span", "font")
    for img in list(body.iter("img")):
        src = _web_url(img.get("src") or img.get("data-src"), base_url)
        if not src:
            img.tag = _DROP
            continue
        alt = (img.get("alt") or "").strip()
        img.attrib.clear()
        img.set("src", re.sub(r"^http://", "https://", src))
        if alt and alt.lower() not in ("image", "图片"):
            img.set("alt", alt)
    # One pass in C, keeping each element's tail text; drop_tree() per element would copy the
    # growing tail of the element before it each time (quadratic over many dropped siblings).
    etree.strip_elements(body, _DROP, with_tail=False)  # marks in junk go with it
    return mentions, marks


def _mark_security(el, mentions: list[tuple[str, str]], marks: list) -> None:
    """An empty mark before `el` if it tags a security; its (secid, name) goes into `mentions`."""
    found = mention(el) if len(mentions) < MAX_MENTIONS else None
    if found:
        mark = el.makeelement(_MARK)
        el.addprevious(mark)
        marks.append(mark)
        mentions.append(found)


def _holders(body, marks: list) -> set:
    """The elements of the body that hold a mark: a block that is none of them (nor a run that took
    one) holds no mark, and is not searched. A mark removed with junk is in none."""
    holders = set()
    for mark in marks:
        ancestors, parent = [], mark.getparent()
        while parent is not None and parent is not body:
            ancestors.append(parent)
            parent = parent.getparent()
        if parent is not None:
            holders.update(ancestors)
    return holders


def _is_junk(el) -> bool:
    return bool(
        JUNK_CLASS_RE.search(el.get("class") or "")
        or HIDDEN_STYLE_RE.search(el.get("style") or "")
        or JUNK_URL_RE.search(el.get("href") or el.get("src") or "")
    )


class _BodyWalker:
    """Turns the body's children into blocks: paragraphs, tables, lists; inline runs become paragraphs."""

    def __init__(self, marks: list = (), holders: set | frozenset = frozenset()):
        self.blocks = []  # elements
        self.media = ""
        self.done = False
        self.marked = bool(marks)  # the body holds security marks
        self.numbers = {mark: number for number, mark in enumerate(marks)}  # the marks, kept alive
        self.holders = holders  # the elements that hold a mark
        self.taken = []  # the numbers of the marks of the blocks taken, in order
        self._run = None  # top-level inline content waiting to become a paragraph
        self._run_last = None  # its last child (len() of an lxml element counts its children: slow)
        self._run_marked = False  # the run holds a mark

    def walk(self, parent: HtmlElement) -> None:
        self._add_text(parent.text)
        for child in list(parent):  # a copy: inline children move into the pending run
            if self.done:
                if child.tag != _MARK:
                    return
                self._add_text(child.tail)  # marks split what is one text without them: the last tail goes on
                continue
            tail = child.tail
            self._visit(child)
            self._add_text(tail)

    def flush(self) -> None:
        if self._run is not None:
            self._emit(self._run)
            self._run = self._run_last = None
            self._run_marked = False

    def _visit(self, el) -> None:
        tag = el.tag
        classes = el.get("class")
        if tag == "p" and not classes:  # the common case first
            self.flush()
            self._emit(el)
        elif not isinstance(tag, str):
            return  # comments
        elif classes and MEDIA_CLASS in classes.split():
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
            self._pending_run().append(el)
            self._run_last = el
            if self.marked and (tag == _MARK or el in self.holders):
                self._run_marked = True

    def _pending_run(self):
        if self._run is None:
            self._run = lxml_html.Element("p")
        return self._run

    def _add_text(self, text: str | None) -> None:
        if not text or (self._run is None and not text.strip(_SPACE)):
            return
        run = self._pending_run()
        if self._run_last is not None:
            self._run_last.tail = (self._run_last.tail or "") + text
        else:
            run.text = (run.text or "") + text

    def _emit(self, block) -> None:
        text = block.text_content().lstrip(_SPACE)
        if text.startswith(END_TEXT):
            self.done = True
        elif text.startswith(JUNK_TEXT):
            return
        else:
            if self.marked and (block in self.holders or (block is self._run and self._run_marked)):
                self._take_marks(block)
            if text or block.tag == "table" or block.find(".//img") is not None:  # not a spacer like <p><br/></p>
                _lstrip(block)
                self.blocks.append(block)

    def _take_marks(self, block) -> None:
        """Note the block's security marks and remove them: the block is as if there had been none."""
        taken = [self.numbers[mark] for mark in block.iter(_MARK)]
        if taken:
            self.taken += taken
            etree.strip_tags(block, _MARK)


def _web_url(url: str | None, base_url: str) -> str:
    """`url` made absolute, or "" unless it is http(s) (javascript:, data: and the like), or when it holds
    a control character (`java\\x0cscript:`: no web URL has one, and lxml refuses to write it back)."""
    if url and _CONTROL_RE.search(url.strip()):
        return ""
    try:
        absolute = urljoin(base_url, url.strip()) if url and url.strip() else ""
    except ValueError:  # "http://[x": not a URL at all
        return ""
    return absolute if absolute.lower().startswith(("http://", "https://")) else ""


def _lstrip(block) -> None:
    """Strip the leading "　　" indent (and other blank) from the block's first text."""
    text = block.text
    if text:
        if text[0] in _SPACE:
            stripped = text.lstrip(_SPACE)
            if stripped:
                block.text = stripped
                return
        else:
            return
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
