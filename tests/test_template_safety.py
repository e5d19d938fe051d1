"""No file of the archive runs script in a reader's browser through the template, or stops the build.

A. Every Liquid output of the template (site/: layouts, includes, pages) is escaped for where it
   stands: `| escape` last (or `content`, or a number), inside a quoted attribute value, never in a
   script or style, an event handler or a style attribute; a link starts with site.baseurl, a URL of
   the site's own or a literal path, never with a value a page or the config could make `javascript:`.
   A static audit of the files, so that a new layout cannot regress; and real builds of hostile values.
B. The archive's config values the template prints (lang, title, description, baseurl) are text on
   every page, never markup; a baseurl that is no path (`javascript:...//`, `//host`) is left out
   with one warning. A `finews:` setting out of range is its default, with one warning.
C. Only site/_plugins/finews_lists.rb sets the list pages' `finews_*` keys: a page's, post's or
   front matter default's own are left out of its data (`finews_pages: "x"` stopped the whole build).
D. A page, static file or post whose file no file system takes (a NUL or control character, a
   name longer than 255 bytes, a path longer than 4095) or that is a file where another one needs a
   folder is left out with one `finews:` warning (site/_plugins/finews_post_urls.rb): the build
   succeeds and publishes the rest; the posts' folders win.

The build tests use real Jekyll on archives in the crawler's format (fixtures.testing.synthesize_archive).
"""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import lxml.html
import pytest

from fixtures.testing import scrapy_command, synthesize_archive
from tests.conftest import REPO, need_tool
from tests.test_xss import problems

SITE = REPO / "site"
slow = pytest.mark.slow  # real `scrapy archive build` (Jekyll); the audit of part A is not


def archive_build(root: Path, status: int = 0, **settings) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", "build", "--no-search", settings={"FINEWS_ARCHIVE_DIR": root, **settings})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == status, process.stdout + process.stderr[-3000:]
    return process


def finews_lines(process) -> list[str]:
    return [line for line in process.stderr.splitlines() if line.startswith("finews:")]


def scripts_in(site: Path) -> dict[str, list[str]]:
    """What could run script, by built page (tests/test_xss.py's judge)."""
    found = {
        str(path.relative_to(site)): problems(lxml.html.fromstring(path.read_bytes())) for path in site.rglob("*.html")
    }
    return {page: what for page, what in found.items() if what}


def posts_written(site: Path) -> int:
    return len(list(site.glob("20[0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*.html")))


def front_matter(path: Path, lines: str) -> None:
    """Add YAML lines to the front matter of the post or page at `path`."""
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", f"---\n{lines}", 1), encoding="utf-8")


@pytest.fixture
def archive(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    synthesize_archive(root, 8, sources=2)
    return root


@pytest.fixture
def template(tmp_path):
    """A copy of the template whose own _config.yml a test adds to: such values reach the plugins
    as they are, however the build filters the archive's config."""
    copy = tmp_path / "template"
    shutil.copytree(SITE, copy, ignore=shutil.ignore_patterns("_site", ".jekyll-cache"))

    def with_config(lines: str) -> Path:
        with open(copy / "_config.yml", "a", encoding="utf-8") as config:
            config.write(lines)
        return copy

    return with_config


# A. The template's Liquid outputs: a static audit

OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
TAG = re.compile(r"\{%-?(.*?)-?%\}", re.S)
NOT_RENDERED = re.compile(r"\{%-?\s*(comment|raw)\s*-?%\}.*?\{%-?\s*end\1\s*-?%\}", re.S)
# What may end an output: `escape` (and `xml_escape`) turn & < > " ' into entities; `size` is a number.
# Not `date` (a value that is no date comes out as it is: `date: "<script>"`), not `jsonify` (quotes
# and < stay), not `relative_url` or `default` (they pass on what the config or a page gave).
SAFE_LAST = {"escape", "xml_escape", "size"}
TRUSTED = {"content"}  # a page's body: the sanitizer's and finews_body_attributes.rb's work, in element text only
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "cite", "srcset", "background", "ping"}
NEVER_IN = {"style", "srcdoc"}  # and every on* attribute: escaping does not make a value inert there
# The outputs a link may start with: the baseurl (finews_lists.rb keeps it empty or a path like
# /news) and a literal path through relative_url; after the baseurl, a URL of the site's own (Jekyll's
# and finews_lists.rb's URLs all start with one /).
BASEURL = "site.baseurl | escape"
RELATIVE = re.compile(r"""^(['"])/(?![/\\])[^'"]*\1 \| relative_url \| escape$""")
SITE_URLS = {
    "post.url",
    "page.url",
    "source.url",
    "month.url",
    "stock.url",
    "link.url",
    "page.finews_prev",
    "page.finews_next",
}
MARK = "\ue000{}\ue001"  # an output's place in the markup, for the HTML parser


def filters(expression: str) -> list[str]:
    """The value and the filter names of an output: `a | date: "%Y" | escape` -> ["a", "date", "escape"]."""
    parts = re.findall(r"""(?:[^|"']|"[^"]*"|'[^']*')+""", expression)
    return [parts[0].strip(), *(part.split(":", 1)[0].strip() for part in parts[1:])]


class Places(HTMLParser):
    """Where each marked output stands: ("text", element) or ("attribute", name, quoted, value)."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.places: dict[int, tuple] = {}
        self.open: list[str] = []

    def mark(self, text: str, place: tuple) -> None:
        for number in re.findall("\ue000(\\d+)\ue001", text):
            self.places[int(number)] = place

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text()
        for match in re.finditer(r"""([^\s"'=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]*))""", raw):
            quoted = match.group(4) is None
            value = match.group(2) if match.group(2) is not None else match.group(3) or match.group(4) or ""
            self.mark(value, ("attribute", match.group(1).lower(), quoted, value))
        outside = re.sub(r"""=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*)""", "=", raw)
        self.mark(outside, ("tag", tag))  # an output that would write attributes of its own
        if tag in ("script", "style"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data):
        self.mark(data, ("text", self.open[-1] if self.open else ""))


def audit(markup: str) -> list[str]:
    """What in a template file could print a page's, a post's or the config's value as markup or script."""
    markup = NOT_RENDERED.sub("", markup)
    found = []
    expressions = []

    def marked(match: re.Match) -> str:
        expressions.append(" ".join(match.group(1).split()))
        return MARK.format(len(expressions) - 1)

    for tag in TAG.findall(markup):
        words = tag.split()
        if words and words[0] == "liquid":
            found.append("{% liquid %}: its echo lines are outputs this audit does not read")
    markup = TAG.sub(lambda m: marked(m) if m.group(1).split()[:1] == ["echo"] else "", markup)
    markup = OUTPUT.sub(marked, markup)
    expressions = [e.removeprefix("echo ").strip() for e in expressions]
    places = Places()
    places.feed(markup)
    places.close()
    for number, expression in enumerate(expressions):
        value, *names = filters(expression)
        place = places.places.get(number, ("text", ""))
        if not (value in TRUSTED and not names and place == ("text", "")) and (not names or names[-1] not in SAFE_LAST):
            found.append(f"{{{{ {expression} }}}}: not escaped (end it with | escape)")
        if place[0] == "tag":
            found.append(f"{{{{ {expression} }}}}: in a tag, outside an attribute value")
        elif place[0] == "text" and place[1]:
            found.append(f"{{{{ {expression} }}}}: inside <{place[1]}>, where escaping does not help")
        elif place[0] == "attribute":
            _, name, quoted, attribute = place
            if name.startswith("on") or name in NEVER_IN:
                found.append(f"{{{{ {expression} }}}}: in the {name} attribute, where escaping does not help")
            if not quoted:
                found.append(f"{{{{ {expression} }}}}: in the unquoted {name} attribute (a space ends it)")
            if name in URL_ATTRIBUTES and (problem := link_start(attribute, expressions)):
                written = re.sub("\ue000(\\d+)\ue001", lambda m: f"{{{{ {expressions[int(m[1])]} }}}}", attribute)
                found.append(f'{name}="{written}": {problem}')
    return sorted(set(found))


def link_start(value: str, expressions: list[str]) -> str | None:
    """Why a link's value could be made to start with a scheme (javascript:) or another host, or None."""
    pieces = [piece for piece in re.split("(\ue000\\d+\ue001)", value) if piece]
    outputs = [expressions[int(piece[1:-1])] if piece.startswith("\ue000") else None for piece in pieces]
    if outputs[0] is None:
        literal = re.match(r"(?:/(?![/\\])|#|\?|https?://[^/\ue000]+/)", pieces[0])
        return None if literal or len(pieces) == 1 else "starts with a literal that is no path"
    if RELATIVE.match(outputs[0]):
        return None
    if outputs[0] != BASEURL:
        return "starts with a value a page or the config could make javascript:"
    if len(pieces) == 1 or (outputs[1] is None and pieces[1].startswith("/")):
        return None
    if outputs[1] is not None and filters(outputs[1])[0] in SITE_URLS:
        return None
    return "has, after site.baseurl, what is no URL of the site's own"


TEMPLATE_FILES = sorted(
    path.relative_to(SITE).as_posix()
    for path in SITE.rglob("*")
    if path.is_file() and path.suffix in {".html", ".md", ".xml", ".liquid"} and path.name != "README.md"
)


def test_the_audit_reads_every_template_file():
    assert {"index.html", "search.html", "_includes/pager.html"} <= set(TEMPLATE_FILES)
    assert {f"_layouts/{name}.html" for name in ("default", "post", "category", "months", "sources")} <= set(
        TEMPLATE_FILES
    )


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_every_output_of_the_template_is_escaped_for_where_it_stands(name):
    assert audit((SITE / name).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "markup",
    [
        "<p>{{ page.title }}</p>",
        "<p>{{ page.title | escape | append: page.more }}</p>",
        "<p>{{ page.tags.size }}</p>",  # a property, not the filter: a hash's own `size` key
        '<time>{{ page.date | date: "%Y" }}</time>',
        "<pre>{{ site.data.things | jsonify }}</pre>",
        '<a href="{{ page.link | escape }}">x</a>',
        '<a href="{{ site.baseurl | escape }}{{ page.link | escape }}">x</a>',
        '<link href="{{ site.icon | relative_url | escape }}">',
        '<a href="//{{ site.host | escape }}/">x</a>',
        "<a title={{ page.title | escape }}>x</a>",
        "<div {{ page.attributes | escape }}>x</div>",
        "<a onclick=\"go('{{ page.title | escape }}')\">x</a>",
        '<p style="color: {{ page.color | escape }}">x</p>',
        'x<script>var title = "{{ page.title | escape }}";</script>',
        "<style>p { color: {{ site.color | escape }} }</style>",
        '<a title="{{ content }}">x</a>',
        "{% echo page.title %}",
        "{% liquid\necho page.title | escape\n%}",
    ],
)
def test_the_audit_finds_what_could_run_script(markup):
    assert audit(markup) != []


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="{{ site.baseurl | escape }}{{ post.url | escape }}">{{ post.title | escape }}</a>',
        '<a href="{{ site.baseurl | escape }}/sources.html">{{ site.data.finews.sources | size }} 个</a>',
        '<link rel="stylesheet" href="{{ \'/assets/style.css\' | relative_url | escape }}">',
        "<main>\n{{ content }}\n</main>",
        "{% comment %}{{ page.anything }}{% endcomment %}{% raw %}{{ x }}{% endraw %}",
        "{% if page.finews_pages > 1 %}<p>{{ page.finews_page | escape }}</p>{% endif %}",
        '<time datetime="{{ page.date | date: "%Y" | escape }}">{% echo page.date | date: "%Y" | escape %}</time>',
    ],
)
def test_the_audit_passes_what_is_escaped_where_it_stands(markup):
    assert audit(markup) == []


HOSTILE = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"


def yaml(value) -> str:
    return json.dumps(value)  # a JSON value is YAML


@slow
def test_a_page_of_the_post_layout_with_hostile_values_is_built_inert(archive):
    """Its title, tags and date print as text; a date that is no date stops nothing (it stopped the build)."""
    for number, date in enumerate([HOSTILE, "x", 12, "2022-01-01 10:00:00 +0800"]):
        (archive / f"page{number}.html").write_text(
            f"---\nlayout: post\ntitle: {yaml(HOSTILE)}\ntags: [{yaml(HOSTILE)}, b]\ndate: {yaml(date)}\n---\n<p>正文</p>\n",
            encoding="utf-8",
        )
    process = archive_build(archive)
    site = archive / "_site"
    assert scripts_in(site) == {} and "8 posts" in process.stdout
    page = (site / "page0.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


# B. The config values the template prints, and the finews: settings


@slow
@pytest.mark.parametrize(
    "config",
    [
        f"lang: {yaml(HOSTILE)}\n",
        "lang: '\"><script>alert(1)</script>'\n",
        f"title: {yaml(HOSTILE)}\n",
        "title: '</title><script>alert(2)</script>'\n",
        f"description: {yaml(HOSTILE)}\n",
        f"baseurl: {yaml(HOSTILE)}\n",
        "baseurl: '/news\" onmouseover=\"alert(3)'\n",
        f"title: {yaml(HOSTILE)}\ndescription: {yaml(HOSTILE)}\nlang: {yaml(HOSTILE)}\nbaseurl: {yaml('/x' + HOSTILE)}\n",
    ],
)
def test_config_values_the_template_prints_are_text_on_every_page(archive, config):
    (archive / "_config.yml").write_text(config, encoding="utf-8")
    process = archive_build(archive)
    site = archive / "_site"
    assert scripts_in(site) == {} and "8 posts" in process.stdout
    assert (site / "sources.html").is_file() and (site / "archive" / "index.html").is_file()


@slow
@pytest.mark.parametrize("baseurl", ["javascript:alert(1)//", "JavaScript:alert(1)", "//evil.example", "/\\evil.example",
                                     "data:text/html,x", " /news", "news"])  # fmt: skip
def test_a_baseurl_that_is_no_path_is_left_out_with_one_warning(archive, baseurl):
    (archive / "_config.yml").write_text(f"baseurl: {yaml(baseurl)}\n", encoding="utf-8")
    process = archive_build(archive)
    site = archive / "_site"
    [line] = finews_lines(process)
    assert line.startswith("finews: _config.yml: baseurl ") and "is no path like /news" in line
    links = [
        link
        for path in site.rglob("*.html")
        for link in lxml.html.fromstring(path.read_bytes()).xpath("//@href | //@src")
    ]
    links = [link for link in links if not link.startswith("http://finews.zning.xyz/")]  # the posts' own
    assert links and all(link.startswith("/") and not link.startswith(("//", "/\\")) for link in links), links
    assert scripts_in(site) == {}


@slow
@pytest.mark.parametrize("baseurl", ["/news", "/news/", "/新闻/站点"])
def test_a_baseurl_that_is_a_path_starts_every_link(archive, baseurl):
    (archive / "_config.yml").write_text(f"baseurl: {baseurl}\n", encoding="utf-8")
    process = archive_build(archive)
    assert finews_lines(process) == []
    home = lxml.html.fromstring((archive / "_site" / "index.html").read_bytes())
    post_links = [link for link in home.xpath("//ul[@class='post-list']//a/@href")]
    assert len(post_links) == 8 and all(link.startswith(baseurl.rstrip("/") + "/20") for link in post_links)


@slow
@pytest.mark.parametrize(
    "setting",
    [
        "finews: {per_page: 0}\n",
        "finews: {per_page: x}\n",
        "finews: {per_page: -5}\n",
        "finews: {per_page: 1.5}\n",
        "finews: {per_page: 1000000000000000000000000000000}\n",
        "finews: {newest: -1}\n",
        "finews: {newest: x}\n",
        "finews: {newest: [1, 2]}\n",
        "finews: {newest: 100000000000000000000000000000000}\n",
        "finews: x\n",
        "finews: [1, 2]\n",
    ],
)
@pytest.mark.parametrize("where", ["archive", "template"])
def test_a_finews_setting_out_of_range_is_the_default(archive, template, setting, where):
    """Through the archive's config (the build may drop a bad value first) and the template's (the
    plugin's own check: one warning, the default)."""
    settings = {}
    if where == "archive":
        (archive / "_config.yml").write_text(setting, encoding="utf-8")
    else:
        settings["FINEWS_SITE_TEMPLATE"] = template(setting)
    process = archive_build(archive, **settings)
    site = archive / "_site"
    home = lxml.html.fromstring((site / "index.html").read_bytes())
    assert len(home.xpath("//ul[@class='post-list']/li")) == 8  # newest: 100 by default, all 8
    assert not list(site.glob("category/*/page2.html"))  # per_page: 500 by default, one page a source
    if where == "template":
        assert len(finews_lines(process)) == 1 and "_config.yml: finews" in finews_lines(process)[0], process.stderr


@slow
@pytest.mark.parametrize(
    "setting, newest, paged",
    [("finews: {per_page: 3}\n", 8, True), ("finews: {newest: 0}\n", 0, False), ("finews: {newest: 2}\n", 2, False)],
)
def test_a_finews_setting_in_range_is_honoured(archive, template, setting, newest, paged):
    process = archive_build(archive, FINEWS_SITE_TEMPLATE=template(setting))
    site = archive / "_site"
    assert finews_lines(process) == []
    home = lxml.html.fromstring((site / "index.html").read_bytes())
    assert len(home.xpath("//ul[@class='post-list']/li")) == newest
    assert bool(list(site.glob("category/*/page2.html"))) == paged


# C. The list pages' finews_* keys are the plugin's only


LIST_KEYS = [
    "finews_posts: [{title: a, url: 'javascript:alert(11)'}]\nfinews_pages: 2\n"
    "finews_prev: '\"><script>alert(12)</script>'\n",
    "finews_posts: [{title: a}]\nfinews_pages: x\n",  # a string: the layout's `> 1` stopped the whole build
    "finews_posts: [{title: a}]\nfinews_pages: [1]\n",
    "finews_posts: [{title: a}]\nfinews_pages: {a: 1}\n",
    "finews_posts: [{title: a}]\nfinews_pages: 3\nfinews_page: 1\n"
    "finews_pager: [{number: 2, url: 'javascript:alert(13)'}]\nfinews_next: 'javascript:alert(14)'\n",
    "finews_posts: x\nfinews_total: '<script>alert(15)</script>'\n",
    "finews_posts: [{title: a, date: x}]\n",  # date_to_xmlschema of a string raised
]


@slow
@pytest.mark.parametrize("keys", LIST_KEYS)
def test_a_page_cannot_set_the_list_pages_keys(archive, keys):
    (archive / "evil.html").write_text(f"---\nlayout: category\ntitle: 邪\n{keys}---\n", encoding="utf-8")
    process = archive_build(archive)
    site = archive / "_site"
    page = (site / "evil.html").read_text(encoding="utf-8")
    assert "alert(" not in page and 'class="post-list"' not in page and 'class="pager"' not in page
    assert finews_lines(process) == ["finews: evil.html: its finews_* keys are left out, only the list pages have them"]
    assert scripts_in(site) == {} and "8 posts" in process.stdout


@slow
@pytest.mark.parametrize("keys", LIST_KEYS[:3])
def test_a_post_cannot_set_the_list_pages_keys(archive, keys):
    posts = sorted((archive / "_posts").glob("*.md"))
    front_matter(posts[0], keys)
    front_matter(posts[1], keys)
    posts[1].write_text(posts[1].read_text(encoding="utf-8").replace("layout: post", "layout: category"))
    process = archive_build(archive)
    site = archive / "_site"
    assert "alert(" not in "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert len(finews_lines(process)) == 1 and "(and 1 more files)" in finews_lines(process)[0]
    assert scripts_in(site) == {} and posts_written(site) == 8


@slow
def test_a_category_index_page_keeps_only_the_plugins_list(archive):
    page = next((archive / "category").glob("*.html"))
    front_matter(page, "finews_posts: [{title: 假的}]\nfinews_total: 999\nfinews_next: 'javascript:alert(16)'\n")
    archive_build(archive)
    built = (archive / "_site" / "category" / page.name).read_text(encoding="utf-8")
    assert "假的" not in built and "999" not in built and "alert(" not in built
    assert built.count("<li>") >= 1 and "共 " in built


@slow
def test_front_matter_defaults_cannot_set_the_list_pages_keys(archive, template):
    defaults = (
        "defaults: [{scope: {path: ''}, values: {finews_pages: x, finews_posts: [{title: a}], "
        "finews_prev: 'javascript:alert(17)'}}]\n"
    )
    (archive / "about.html").write_text("---\nlayout: category\ntitle: 关于\n---\n", encoding="utf-8")
    process = archive_build(archive, FINEWS_SITE_TEMPLATE=template(defaults))
    site = archive / "_site"
    assert "alert(" not in "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert scripts_in(site) == {} and posts_written(site) == 8 and "8 posts" in process.stdout


@slow
def test_the_archive_data_cannot_stand_in_for_the_plugins(archive):
    (archive / "_data").mkdir()
    (archive / "_data" / "finews.yml").write_text(
        "newest: [{url: 'javascript:alert(18)', title: x, date: x}]\nsources: x\nmonths: [{url: '//evil'}]\n",
        encoding="utf-8",
    )
    archive_build(archive)
    site = archive / "_site"
    assert "alert(" not in "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert len(lxml.html.fromstring((site / "index.html").read_bytes()).xpath("//ul[@class='post-list']/li")) == 8


# D. Files no file system takes where they would be written


def left_out(process, name: str) -> str:
    """The one warning that says `name` was left out."""
    lines = [line for line in finews_lines(process) if line.startswith(f"finews: {name}: left out, ")]
    assert len(lines) == 1, process.stderr
    return lines[0]


@slow
def test_a_static_file_where_the_posts_need_a_folder_is_left_out(archive):
    (archive / "2022").write_text("a file named like the posts' year folder", encoding="utf-8")
    process = archive_build(archive)
    assert "the folder of 2022/" in left_out(process, "2022")
    site = archive / "_site"
    assert (site / "2022").is_dir() and posts_written(site) == 8 and "8 posts" in process.stdout


@slow
def test_a_folder_of_the_archive_where_a_list_page_goes_wins(archive):
    (archive / "sources.html").mkdir()
    (archive / "sources.html" / "notes.txt").write_text("mine", encoding="utf-8")
    process = archive_build(archive)
    assert "the folder of sources.html/notes.txt" in left_out(process, "sources.html")
    site = archive / "_site"
    assert (site / "sources.html" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (site / "index.html").is_file() and posts_written(site) == 8


@slow
@pytest.mark.parametrize(
    "name, folder",
    [
        ("archive", "archive/2022/01/index.html"),  # the month pages' folder
        ("emnews", "emnews/index.html"),
        ("category/sub", "category/sub/x.html"),  # two files of the archive
    ],
)
def test_a_file_where_another_needs_a_folder_is_left_out(archive, name, folder):
    (archive / name).write_text("in the way", encoding="utf-8")
    if name == "emnews":
        (archive / "emnews.md").write_text("---\npermalink: /emnews/index.html\n---\n滚动\n", encoding="utf-8")
    if name == "category/sub":
        (archive / "sub.md").write_text("---\npermalink: /category/sub/x.html\n---\n子\n", encoding="utf-8")
    process = archive_build(archive)
    assert f"the folder of {folder}" in left_out(process, name)
    assert (archive / "_site" / folder).is_file() and posts_written(archive / "_site") == 8


UNWRITABLE = {
    "a name of 300 bytes": ("/" + "b" * 300 + ".html", "a name longer than 255 bytes"),
    "90 Chinese characters": ("/" + "页" * 90 + ".html", "a name longer than 255 bytes"),
    "a path of 5000 bytes": ("/" + "/".join(["c" * 250] * 20) + ".html", "a path longer than 4095 bytes"),
    "a NUL": ('"/a\\u0000b.html"', "path name contains null byte"),
    "a NUL, escaped": ("/a%00b.html", "path name contains null byte"),
    "bytes no text is": ("/a%ffb.html", "invalid byte sequence"),
    "a newline": ('"/a\\nb.html"', "holds a control character"),
    "a tab, escaped": ("/a%09b.html", "holds a control character"),
    "an escape character": ('"/a\\eb/index.html"', "holds a control character"),
}


@slow
@pytest.mark.parametrize("case", UNWRITABLE)
def test_a_page_whose_file_no_file_system_takes_is_left_out(archive, case):
    permalink, why = UNWRITABLE[case]
    (archive / "odd.md").write_text(f"---\npermalink: {permalink}\n---\n怪\n", encoding="utf-8")
    (archive / "fine.md").write_text("---\n---\n好页面\n", encoding="utf-8")
    process = archive_build(archive)
    assert why in left_out(process, "odd.md")
    site = archive / "_site"
    assert "好页面" in (site / "fine.html").read_text(encoding="utf-8") and posts_written(site) == 8
    assert not [path for path in site.rglob("*") if path.is_file() and b"\xe6\x80\xaa" in path.read_bytes()]


@slow
@pytest.mark.parametrize("case", ["a name of 300 bytes", "a NUL", "bytes no text is", "a newline"])
def test_a_post_whose_file_no_file_system_takes_is_left_out(archive, case):
    permalink, why = UNWRITABLE[case]
    post = sorted((archive / "_posts").glob("*.md"))[0]
    front_matter(post, f"permalink: {permalink}\n")
    process = archive_build(archive)
    assert why in left_out(process, str(post))
    assert "7 posts" in process.stdout and posts_written(archive / "_site") == 7


@slow
def test_a_static_file_named_with_a_control_character_is_left_out(archive):
    (archive / "assets").mkdir()
    (archive / "assets" / "a\nb.css").write_text("p{}", encoding="utf-8")
    (archive / "assets" / "fine.css").write_text("p{}", encoding="utf-8")
    process = archive_build(archive)
    assert "holds a control character" in left_out(process, '"assets/a\\nb.css"')
    assert (archive / "_site" / "assets" / "fine.css").is_file()


@slow
def test_a_category_no_file_name_can_hold_leaves_its_list_page_out(archive):
    post = sorted((archive / "_posts").glob("*.md"))[0]
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r"^categories: .*$", "categories: " + "长" * 100, text, count=1, flags=re.M))
    process = archive_build(archive)
    assert "a name longer than 255 bytes" in left_out(process, "category/" + "长" * 100 + ".html")
    assert posts_written(archive / "_site") == 8 and (archive / "_site" / "sources.html").is_file()


@slow
@pytest.mark.parametrize("permalink", ["/index.html/x.html", "/assets/style.css/x.html", "/sources.html/x.html"])
def test_a_post_permalink_under_a_page_gets_its_usual_url(archive, permalink):
    post = sorted((archive / "_posts").glob("*.md"))[0]
    front_matter(post, f"permalink: {permalink}\n")
    process = archive_build(archive)
    assert f"{post}: its permalink {permalink} would replace a page of the site" in process.stderr
    site = archive / "_site"
    assert posts_written(site) == 8 and (site / permalink.rsplit("/", 1)[0].lstrip("/")).is_file()


@slow
@pytest.mark.parametrize("permalink", ["/.finews-site/x.html", "/.git/x/y.html"])
def test_nothing_is_written_inside_what_the_site_folder_keeps(archive, permalink):
    (archive / "kept.md").write_text(f"---\npermalink: {permalink}\n---\n留\n", encoding="utf-8")
    process = archive_build(archive)
    assert left_out(process, "kept.md") and (archive / "_site" / ".finews-site").is_file()


@slow
def test_a_folder_an_earlier_build_left_where_a_file_now_goes_is_replaced(archive):
    (archive / "notes").mkdir()
    (archive / "notes" / "a.html").write_text("---\n---\n旧\n", encoding="utf-8")
    archive_build(archive)
    shutil.rmtree(archive / "notes")
    (archive / "notes").write_text("now a file", encoding="utf-8")
    process = archive_build(archive)  # Jekyll's cleaner left the folder, and writing the file stopped the build
    assert (archive / "_site" / "notes").read_text(encoding="utf-8") == "now a file"
    assert finews_lines(process) == [] and posts_written(archive / "_site") == 8
