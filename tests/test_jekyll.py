"""The real `jekyll build` accepts the crawled archive plus hostile posts, and renders them safely."""

import shutil
import subprocess
from datetime import datetime

import lxml.html
import pytest

from crawler import settings as defaults
from crawler.archive import Archive
from crawler.archive.render import render_category_page, render_fast_post, render_post
from crawler.archive.slugs import category_slug
from crawler.items import SHANGHAI, Article, FastNews
from fixtures.testing import serve
from tests.conftest import FIXTURES, need_tool
from tests.crawl import scrapy_crawl

pytestmark = pytest.mark.slow  # a real crawl and a real `jekyll build`

HOSTILE = [
    ('他说"你好"：yes', "<p>{{ site.title }} and {% include x %} and {% raw %} stay text</p>"),
    ("yes", "<p>{% endraw %} {%- comment -%} unclosed</p>"),
    ("12:30 #tag --- *ST康美 & !x", "<p>plain</p>"),
    ("line\nbreak\ttab 🚀", "<p>{{ 'x' | upcase }}</p>"),
]


SOURCES = ["财经网（北京", "A/B..C", '<img src="x" onerror="alert(1)">', "<script>alert(2)</script>*强调*{: onclick=x}"]


HOSTILE_SUMMARIES = [  # the 7x24 summary is written as a Markdown quote: none of this may act
    "[这里](javascript:alert(1)) ![图](javascript:alert(2)) <javascript:alert(3)>",
    '*强调*{: onmouseover="alert(4)"} {::nomarkdown}<script>alert(5)</script>{:/}',
    "$$x$$ `code` [^1] <img src=x onerror=alert(6)> &lt;b&gt;",
    "*ST康美、*ST辅仁被立案调查 期权:call|put _涨停_ ~~10%~~ alert(7)",  # text kramdown would format
    "1. 首先 alert(8)",
]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    jekyll = need_tool("jekyll")
    site = tmp_path_factory.mktemp("jekyll") / "site"
    shutil.copytree(FIXTURES / "jekyll", site)
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, site)
        scrapy_crawl(base_url, site, spider="eastmoney_724")
    finally:
        server.shutdown()
    archive = Archive(site)
    for number, (title, body) in enumerate(HOSTILE):
        source = SOURCES[number]
        article = Article(
            info_code=f"NW2021123122318717{number:02d}",
            url="https://finance.eastmoney.com/a/x.html",
            title=title,
            published_at=datetime(2021, 12, 31, 23, 30, number, tzinfo=SHANGHAI),
            source=source,
            paragraphs=[body],
        )
        slug = category_slug(source)
        archive.add_post(
            article.published_at, article.info_code, render_post(article, slug, defaults.FINEWS_SHARE_URL, "//s")
        )
        archive.write(site / "category" / f"{slug}.html", render_category_page(source, slug))
    for number, summary in enumerate(HOSTILE_SUMMARIES):
        news = FastNews(
            article_id=f"2021123122318718{number:02d}",
            url="https://finance.eastmoney.com/a/x.html",
            title=f"快讯{number}",
            published_at=datetime(2021, 12, 31, 23, 40, number, tzinfo=SHANGHAI),
            summary=summary,
            paragraphs=[],
        )
        archive.add_post(news.published_at, news.article_id, render_fast_post(news, "//s"))
    build = subprocess.run([jekyll, "build", "--quiet"], cwd=site, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    return site / "_site"


def test_every_post_is_rendered(built_site):
    posts = list((built_site.parent / "_posts").glob("*.md"))
    pages = [p for p in built_site.rglob("*.html") if "/20" in str(p)]
    assert len(posts) >= 80 and len(pages) == len(posts)


def test_dates_stay_in_beijing_time(built_site):
    page = next(built_site.glob("2021/12/31/NW202112312231871700.html"))
    assert "2021-12-31 23:30:00 +0800" in page.read_text(encoding="utf-8")


def test_liquid_in_bodies_is_shown_not_run(built_site):
    html = next(built_site.glob("2021/12/31/NW202112312231871700.html")).read_text(encoding="utf-8")
    assert "{{ site.title }}" in html and "{% include x %}" in html and "{% raw %}" in html
    assert "finews test site and" not in html
    html = next(built_site.glob("2021/12/31/NW202112312231871703.html")).read_text(encoding="utf-8")
    assert "{{ 'x' | upcase }}" in html


def test_hostile_titles_render_escaped(built_site):
    html = next(built_site.glob("2021/12/31/NW202112312231871700.html")).read_text(encoding="utf-8")
    assert "他说&quot;你好&quot;：yes" in html


def test_emnews_index_lists_the_rolling_news(built_site):
    index = (built_site / "emnews" / "index.html").read_text(encoding="utf-8")
    assert "东财滚动新闻" in index and index.count("<li>") >= 20


def test_category_pages_list_their_posts(built_site):
    pages = list((built_site / "category").glob("*.html"))
    assert len(pages) >= 12
    listed = sum(page.read_text(encoding="utf-8").count("<li>") for page in pages)
    assert listed >= 40


def test_a_hostile_media_name_is_text_in_the_back_link(built_site):
    for number in (2, 3):
        page = next(built_site.glob(f"2021/12/31/NW2021123122318717{number:02d}.html")).read_text(encoding="utf-8")
        doc = lxml.html.fromstring(page)
        assert not doc.xpath("//script") and not doc.xpath("//img")
        assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
        assert "返回" in page and ("onerror" in doc.text_content() or "alert(2)" in doc.text_content())


def test_a_hostile_7x24_summary_is_only_text(built_site):
    for number in range(len(HOSTILE_SUMMARIES)):
        page = next(built_site.glob(f"2021/12/31/2021123122318718{number:02d}.html")).read_text(encoding="utf-8")
        doc = lxml.html.fromstring(page)
        assert not doc.xpath("//script | //img | //iframe | //math | //code")
        assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
        assert not [h for h in doc.xpath("//@href | //@src") if h.strip().lower().startswith(("javascript:", "data:"))]
        assert "alert(" in doc.text_content()  # shown, as text
        assert not doc.xpath("//article//em | //article//table | //article//del | //article//ol")
    text = lxml.html.fromstring(next(built_site.glob("2021/12/31/202112312231871803.html")).read_bytes()).text_content()
    assert "*ST康美、*ST辅仁被立案调查 期权:call|put _涨停_ ~~10%~~" in text and "\\" not in text
