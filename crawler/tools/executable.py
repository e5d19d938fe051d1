"""What in an old post or page could run script in a reader's browser, found and cleaned (`archive doctor`).

Crawled bodies are clean (crawler/parsers/body.py and crawler/bodyhtml.py); the archive we continue is
not: old and hand-edited posts hold `<script>`, event handlers, `javascript:` links in any spelling,
Markdown links and kramdown attribute lists or extensions that kramdown turns into the same. A body is
read as a browser would read it after Jekyll (kramdown) did (executable_content): comments, declarations
and raw text as a browser reads them, not as Python's tokenizer does, in each reading that may apply
(as written, as kramdown writes it as text, CDATA as HTML and as SVG read it); and cleaned through
the crawled bodies' allowlist with its Markdown links, references and kramdown marks neutralized
(cleaned_body).
"""

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser

import nh3

from crawler.bodyhtml import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

# The crawled bodies' sanitizer allowlist (crawler/bodyhtml.py), plus the class of the crawler's own
# `<p class="em_media">` source line.
_LINE_CLASS = {"p": {"class"}}
# Elements that act in a page: scripts, frames, plug-ins, forms, and style (a stylesheet from anywhere).
_BAD_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base", "form"}
_BAD_ELEMENTS |= {"meta", "link", "portal", "style"}
# Of those, what acts in a whole document too (a static page, a layout): a document has its own head
# (meta, link, style) and may draw (svg, math); script, frames, plug-ins, forms and a base URL act.
_ACTING_ELEMENTS = _BAD_ELEMENTS - {"meta", "link", "style", "svg", "math"}
_URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "poster",
    "data",
    "xlink:href",
    "srcset",
    "lowsrc",
    "dynsrc",
    "cite",
    "longdesc",
    "usemap",
    "codebase",
    "manifest",
    "ping",
    "content",
}
_SAFE_SCHEMES = {"http", "https", "mailto", "ftp", "ftps"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_INERT_BLOCKS = {"p", "table", "ul", "ol"}  # an HTML block kramdown leaves raw (the crawler's blocks)
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f`'\"<\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]+")
_REFRESH_DELAY = re.compile(r"^[\s\d.]*[;,]?\s*(?:url\s*=\s*)?['\"]?", re.I)
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# What may stand on a line before a block kramdown reads inside other blocks, nested in any order:
# blockquote marks, list item markers (`-`, `*`, `+`, `1.`; `1)` as CommonMark has it), definition (`:`)
# and footnote (`[^1]:`) markers.
_CONTAINERS = r"(?:[ \t]*(?:>|[-*+:](?=[ \t])|\d{1,9}[.)](?=[ \t])|\[\^[^\]\n<]*\]:))*[ \t]*"
_MD_LINK = re.compile(r"(?<!\\)\]([ \t]*)\((\s*[^)\n]*)")  # inline link or image: `](url` (not `\](`)
_MD_REFERENCE = re.compile(rf"^({_CONTAINERS})\[(?=(?:[^\]\n\\]|\\.)*\]:(\s*.*)$)", re.M)  # `[x]: url`
_CONTINUED = re.compile(rf"\n{_CONTAINERS}")  # a target's next line, after the marks of the blocks it is in
_KRAMDOWN_MARK = re.compile(r"(?<!\\)\{:")  # an attribute list or extension: {: ...}, {::nomarkdown}, {::options}
_AUTOLINK = re.compile(r"<https?://[^\s<>\"]+>")
_QUOTE_MARKS = re.compile(rf"^{_CONTAINERS}>", re.M)  # up to a line's last blockquote mark
_LIQUID = re.compile(r"\{%(?:(?!\{%).)*?%\}|\{\{(?:(?!\{\{).)*?\}\}", re.S)  # a Liquid tag or output (a page's)
_PLACEHOLDER = "\ue001"
_PLACEHOLDERS = re.compile(f"{_PLACEHOLDER}([0-9]+){_PLACEHOLDER}")
# Comment ends a browser reads and this tokenizer (Python 3.11 to 3.13, each release its own way) may
# not, written as it reads them: `<!-->` and `<!--->` (an empty comment), `--!>`. `<!--` is matched for
# itself, so that `--!>` is never read inside it (`<!---!>` ends nothing).
_COMMENT_ENDS = re.compile(r"<!--(?:-?>)?|--!>")
_COMMENT_END_AS_READ = {"<!-->": "<!---->", "<!--->": "<!---->", "--!>": "-->"}
# Elements whose text a browser reads as text up to their end tag, comments and tags in it included; the
# end tag may hold blanks, a slash or attributes.
_RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext")
_RAW_TEXT_END = re.compile(rf"</({'|'.join(_RAW_TEXT)})[\t\n\r\f /][^>]*>", re.I)
# What kramdown writes as text where a browser or this tokenizer would read markup: a declaration or
# CDATA section (`<!x`), a processing instruction (`<?`), a bogus end tag (`</ `), a comment never closed.
_KRAMDOWN_TEXT = re.compile(r"<(?:!(?:--)?|\?|/(?![A-Za-z]))")
# A line of the crawler's paragraphs as its sanitizer writes them (inline markup, web links and images
# only): a raw HTML block to kramdown, nothing in it acts. Such lines are not tokenized (speed).
_SAFE_INLINE = r'(?:[^<>\n]|<br>|</?(?:strong|b|em|i|u|sub|sup)>|</a>|<a href="https?://[^"<>\n]*">|<img src="https?://[^"<>\n]*"(?: alt="[^"<>\n]*")?>)*'
_SAFE_BLOCK_LINE = re.compile(rf'(?:<p(?: class="em_media")?>{_SAFE_INLINE}</p>)+[ \t\r]*')  # fullmatch
# More `<` than `>` by this much: a text Python's tokenizer reads in quadratic time (`<a<a<a...`), and
# no page of news holds: read as suspect, not tokenized.
_UNCLOSED_MAX = 1000
# What an XML document (SVG, XHTML, a feed) does that no tag shows: an entity of its own expands to
# markup (a script element), a stylesheet's transformation writes any page.
_XML_ACTS = (
    (re.compile(r"<!ENTITY", re.I), "an XML entity of its own (it expands to markup)"),
    (re.compile(r"<\?xml-stylesheet", re.I), "an XSLT or CSS stylesheet instruction (a transformation writes markup)"),
)


def _unsafe_url(value: str) -> bool:
    """Whether a URL (an attribute's value or a Markdown link's target) has a scheme that is not a web
    one, in any spelling: entities (twice), case, blanks and control characters inside it."""
    text = _URL_IGNORED.sub("", html.unescape(html.unescape(value))).lower()
    match = _SCHEME.match(text)
    return match is not None and match.group(1) not in _SAFE_SCHEMES


def _md_target(target: str) -> str:
    """A Markdown link's or reference's target as kramdown reads it: on its next line, without the
    blockquote and list marks that line begins with (`> [x](` then `> javascript:...)`)."""
    return _CONTINUED.sub("\n", target).strip()


def _urls_in(name: str, value: str) -> list[str]:
    """The URLs an attribute's value may hold: itself, each candidate of a srcset, a refresh's target."""
    if name == "content":  # <meta http-equiv="refresh" content="0; url=...">
        return [value, _REFRESH_DELAY.sub("", html.unescape(value), count=1)]
    return [value, *value.split(",")[1:]]


class _Scanner(HTMLParser):
    """Reads a body as a browser tokenizes it, collecting what could run script; the text outside
    the HTML blocks kramdown leaves raw is collected (entities as written) for the Markdown checks."""

    CDATA_CONTENT_ELEMENTS = _RAW_TEXT  # as a browser: no comment or tag inside a <textarea> or <title>

    def __init__(self, bad_elements: set[str] = _BAD_ELEMENTS, markdown: bool = True):
        super().__init__(convert_charrefs=False)
        self.bad_elements, self.reads_markdown = bad_elements, markdown
        self.bad_tag_text = re.compile(r"<\s*/?\s*(?:" + "|".join(sorted(bad_elements)) + r")\b", re.I)
        self.found: list[str] = []
        self.markdown: list[str] = []
        self._open: list[str] = []  # the elements open in the current top-level element
        self._held: list[str] = []  # its text, kept until it is known whether kramdown reads it
        self._inert = False
        self._chain_at = -1
        self._source = ""

    def scan(self, text: str, skip_safe_lines: bool = False) -> list[str]:
        """What in `text` could run script. With `skip_safe_lines`, a line as the crawler's sanitizer
        writes its paragraphs (_SAFE_BLOCK_LINE) is not tokenized when it stands where a browser reads
        markup (nothing pending: no tag, comment or raw text open), where nothing in it acts (speed);
        anywhere else (inside an attribute, say) it is read as the rest."""
        self._source = text
        self._lines = [0, *(m.end() for m in re.finditer("\n", text))]
        pending: list[str] = []  # lines read as they are, fed together
        lines = text.split("\n")
        for number, line in enumerate(lines):
            end = "" if number == len(lines) - 1 else "\n"
            if skip_safe_lines and _SAFE_BLOCK_LINE.fullmatch(line):
                self.feed("".join(pending))
                pending = []
                if not self.rawdata and self.cdata_elem is None:  # where a browser reads markup
                    line = " " * len(line)  # as long as the line: every offset stays
            pending.append(line + end)
        self.feed("".join(pending))
        self.close()
        self.markdown.extend(self._held)  # an element never closed: its text is Markdown too
        markdown = "".join(self.markdown) if self.reads_markdown else ""
        for match in _MD_LINK.finditer(markdown):
            if _unsafe_url(_md_target(match.group(2))):
                self.found.append(f"a Markdown link to {_md_target(match.group(2))[:40]!r}")
        for match in _MD_REFERENCE.finditer(markdown):
            if _unsafe_url(_md_target(match.group(2))):
                self.found.append(f"a Markdown reference to {_md_target(match.group(2))[:40]!r}")
        if _KRAMDOWN_MARK.search(markdown):
            self.found.append("a kramdown attribute list or extension ({: or {::)")
        return self.found

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.bad_elements or _unsafe_url(tag):
            self.found.append(f"<{tag}>")
        elif self.bad_tag_text.search((self.get_starttag_text() or "")[1:]):  # `<scr<script>`: kramdown sees <script>
            self.found.append(f"an element that runs script inside <{tag[:20]}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name.startswith("data-pagefind") or name in ("markdown", "srcdoc"):
                self.found.append(f"<{tag} {name}=>")
            elif name in _URL_ATTRIBUTES and any(_unsafe_url(part) for part in _urls_in(name, value)):
                self.found.append(f"<{tag} {name}={value[:40]!r}>")
            elif name == "style" and re.search(r"javascript|vbscript|expression\s*\(", html.unescape(value), re.I):
                self.found.append(f"<{tag} style=>")
        if tag in _VOID or ":" in tag:
            return
        if not self._open:
            line_start = self._source.rfind("\n", 0, self._offset()) + 1
            chained = self._offset() == self._chain_at  # right after a raw block on its line (em_media)
            self._inert = tag in _INERT_BLOCKS and (chained or not self._source[line_start : self._offset()].strip(" "))
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and ":" not in tag and self._open and self._open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._open:
            return
        while self._open.pop() != tag:
            pass
        if not self._open:
            end = self._source.find("\n", self._offset())
            rest = self._source[self._offset() : len(self._source) if end < 0 else end]
            after = rest.find(">") + 1
            rest = rest[after:]
            next_block = re.match(r"[ ]*<(?:p|table|ul|ol)[\s>]", rest)
            if self._inert and (not rest.strip() or next_block):  # raw: the line ends with raw blocks
                self._chain_at = self._offset() + after + len(rest) - len(rest.lstrip(" ")) if next_block else -1
            else:
                self.markdown.extend(self._held)
            self._held = []

    def handle_data(self, data: str) -> None:
        if self.bad_tag_text.search(data):  # a tag the tokenizer left as text (unfinished): suspect
            self.found.append("an unfinished element that runs script")
        (self._held if self._open else self.markdown).append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        if self.bad_tag_text.search(data):
            self.found.append("an element that runs script inside a comment")

    def unknown_decl(self, data: str) -> None:
        self.handle_comment(data)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column


def _as_a_browser_reads(text: str) -> str:
    """`text` rewritten where this tokenizer would read it otherwise than a browser: the comment ends
    `<!-->`, `<!--->` and `--!>` (as `<!---->`, `-->`), a raw text element's end tag holding more than
    its name (`</style x>`, as `</style>`)."""
    text = _COMMENT_ENDS.sub(lambda m: _COMMENT_END_AS_READ.get(m[0], m[0]), text)
    return _RAW_TEXT_END.sub(r"</\1>", text)


def _as_kramdown_writes(text: str) -> str:
    """`text` with what kramdown writes as text (_KRAMDOWN_TEXT) escaped: a browser reads on after it,
    where its own reading (a bogus comment up to the first `>`, a comment to the end) would not."""
    last_close = text.rfind("-->")  # kramdown's comment: `<!--` up to a `-->` after it

    def escaped(match: re.Match) -> str:
        closed_comment = match[0] == "<!--" and last_close >= match.start() + 4
        return match[0] if closed_comment else "&lt;" + match[0][1:]

    return _KRAMDOWN_TEXT.sub(escaped, text)


def _readings(text: str, markdown: bool) -> list[str]:
    """The texts to tokenize for `text`, as a browser reads each: a CDATA section as HTML reads it (a
    bogus comment up to the first `>`); in a body, `text` as kramdown writes it too; in a document, a
    CDATA section as SVG and MathML read it too (up to `]]>`). Each distinct text once."""
    browser = _as_a_browser_reads(text)
    other = _as_a_browser_reads(_as_kramdown_writes(text)) if markdown else browser
    return list(dict.fromkeys([browser.replace("<![", "<! ["), other]))


def _found_in(text: str, bad_elements: set[str], markdown: bool) -> list[str]:
    """What runs script in any reading of `text` (_readings); a text with more than _UNCLOSED_MAX
    `<` that open nothing is suspect as it is."""
    unclosed = text.count("<") - text.count(">")
    if unclosed > _UNCLOSED_MAX:
        return [f"{unclosed:,} more `<` than `>`: markup no page of news holds, not read (suspect)"]
    return [
        found
        for reading in _readings(text, markdown)
        for found in _Scanner(bad_elements, markdown).scan(reading, skip_safe_lines=markdown)
    ]


def executable_content(body: str) -> list[str]:
    """What in a post's or page's body could run script once Jekyll (kramdown) and a browser read it:
    elements and attributes (event handlers, non-web URLs, data-pagefind-*, markdown=, srcdoc), and
    Markdown links, references and kramdown attribute lists or extensions outside raw HTML blocks."""
    try:
        return _found_in(body, _BAD_ELEMENTS, markdown=True)
    except Exception as exc:  # the tokenizer never should; if it does, the body is suspect
        return [f"cannot be read as HTML: {exc}"]


def scripts_in_document(text: str) -> list[str]:
    """What in a whole document a browser opens as it is (a static HTML or SVG file, a layout) runs
    script: scripts, frames, plug-ins, forms, a base URL, event handlers, non-web URLs (no Markdown)."""
    xml = [what for pattern, what in _XML_ACTS if pattern.search(text)]
    try:
        return xml + _found_in(text, _ACTING_ELEMENTS, markdown=False)
    except Exception as exc:  # as executable_content
        return [f"cannot be read as HTML: {exc}"]


def cleaned_body(body: str) -> str:
    """`body` through the crawled bodies' sanitizer (nh3, the same allowlist), its Markdown links,
    references and kramdown marks neutralized; every line as text when something still acts. Its line
    ends stay as they were (CRLF or LF), and so do its Liquid tags and outputs (a page's)."""
    text, held = _held_out(body)
    text = nh3.clean(
        _as_kramdown_writes(text),  # as kramdown wrote it: what follows a `<!--` never closed is kept
        tags=ALLOWED_TAGS,
        attributes={**ALLOWED_ATTRIBUTES, **_LINE_CLASS},
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
        attribute_filter=lambda _, name, value: None if name in _URL_ATTRIBUTES and _unsafe_url(value) else value,
    )  # the filter: a URL an old browser would read as a script's (a control character in its scheme)
    text = _PLACEHOLDERS.sub(lambda m: held[int(m.group(1))], text)
    text = _MD_LINK.sub(_unlinked(lambda m: f"]{m.group(1)}&#40;{m.group(2)}"), text)  # `](` no more
    text = _MD_REFERENCE.sub(_unlinked(lambda m: f"{m.group(1)}&#91;"), text)  # `[x]:` no more
    text = text.replace("{:", "&#123;:").replace("$$", "&#36;&#36;")
    newline = "\r\n" if body.count("\r\n") * 2 > body.count("\n") else "\n"  # most of its lines' ends
    text = text.replace("\r\n", "\n").replace("\n", newline)  # the sanitizer writes LF
    if executable_content(text):  # never expected: then nothing of it acts
        text = (newline * 2).join(f"<p>{_as_text(line)}</p>" for line in body.splitlines() if line.strip())
    return text


def _held_out(body: str) -> tuple[str, list[str]]:
    """`body` with what the sanitizer would rewrite but must not, each as a placeholder: Liquid tags and
    outputs (`{% if a < b %}`), autolinks and blockquote marks; and what each placeholder holds. Inside a
    tag all is left to the sanitizer; a body holding the placeholder character is left as it is. What
    Liquid holds is read by the last check in cleaned_body as it is kept: verbatim."""
    held: list[str] = []
    if _PLACEHOLDER in body:
        return body, held

    def hold(match: re.Match) -> str:
        held.append(match[0])
        return f"{_PLACEHOLDER}{len(held) - 1}{_PLACEHOLDER}"

    def outside_tags(match: re.Match) -> str:
        return match[0] if _in_tag(match.string, match.start()) else hold(match)

    text = _LIQUID.sub(hold, body)  # all of it first: a `<` in Liquid opens no tag
    text = _PLACEHOLDERS.sub(lambda m: held[int(m[1])] if _in_tag(m.string, m.start()) else m[0], text)
    return _QUOTE_MARKS.sub(outside_tags, _AUTOLINK.sub(outside_tags, text)), held


def _in_tag(text: str, position: int) -> bool:
    """Whether `position` in `text` is inside a tag (after a `<` with no `>` since)."""
    return text.rfind("<", 0, position) > text.rfind(">", 0, position)


def _unlinked(neutral: Callable[[re.Match], str]) -> Callable[[re.Match], str]:
    """A substitution that writes a link or reference whose target is unsafe (group 2) as `neutral`."""
    return lambda match: neutral(match) if _unsafe_url(_md_target(match.group(2))) else match.group(0)


def _as_text(line: str) -> str:
    """A line as literal text inside an HTML element, in an HTML block or a Markdown line alike."""
    return re.sub(r"[\\`*_{}\[\]|$~:()]", lambda m: f"&#{ord(m.group(0))};", html.escape(line, quote=True))
