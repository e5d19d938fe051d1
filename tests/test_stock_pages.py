"""The site by security: every secid the posts' front matter names (`stocks:`, East Money's own tags)
gets its list pages (stock/<secid>.html, paged, newest first), stocks.html lists them all with their
post counts, each post links its stocks, and the search narrows to a stock. A value that is no
security East Money names gets nothing: no page, no link. An update equals a full build here too.
"""

import re
import subprocess
from pathlib import Path

import pytest

from crawler.tools import search
from fixtures.testing import scrapy_command, synthesize_archive
from tests.conftest import REPO, need_tool
from tests.test_incremental_build import tree

pytestmark = pytest.mark.slow  # real Jekyll

# The front matter `stocks:` of the first posts, oldest first; the last two are hostile or malformed.
STOCKS = [
    '["1.600030", "0.002353"]',
    '["1.600030"]',
    '["116.00700", "105.AAPL", "0.830799", "116.00700"]',
    '["javascript:alert(1)", "../../x", 123, ["1.600519"], "1.600030", "1.60003", "2.600030"]',
    '"1.600030"',
    '["1.600030", "0.002353"]',
]


def with_stocks(root: Path, values: list[str]) -> list[Path]:
    posts = sorted(root.glob("*/*.md"), key=lambda post: post.name)
    for post, value in zip(posts, values, strict=False):
        text = post.read_text(encoding="utf-8")
        post.write_text(text.replace("\ntags:", f"\nstocks: {value}\ntags:", 1), encoding="utf-8")
    return posts


def build(root: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", "build", "--out", str(out), *options, settings={"FINEWS_ARCHIVE_DIR": root})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr[-3000:]
    return process


def listed(page: Path) -> list[str]:
    """The post URLs a list page shows, in order."""
    items = re.findall(r'<li><time[^>]*>[^<]*</time> <a href="([^"]+)"', page.read_text(encoding="utf-8"))
    return items


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need_tool("jekyll")
    where = tmp_path_factory.mktemp("stocks")
    root = where / "archive"
    synthesize_archive(root, 16, sources=2)
    (root / "_config.yml").write_text("finews:\n  per_page: 2\n", encoding="utf-8")
    posts = with_stocks(root, STOCKS)
    build(root, where / "site", "--no-search")
    return root, where / "site", posts


def url_of(post: Path) -> str:
    year, month, day, name = post.name.split("-", 3)
    return f"/{year}/{month}/{day}/{name.removesuffix('.md')}.html"


def test_each_security_gets_its_pages_newest_first_paged_like_a_category(site):
    _, out, posts = site
    assert sorted(path.name for path in (out / "stock").glob("*.html")) == [
        "0.002353.html", "0.830799.html", "1.600030.html", "105.AAPL.html", "116.00700.html"
    ]  # fmt: skip
    tagged = [url_of(posts[n]) for n in (5, 3, 1, 0)]  # 1.600030, newest first
    assert listed(out / "stock" / "1.600030.html") + listed(out / "stock" / "1.600030" / "page2.html") == tagged
    first = (out / "stock" / "1.600030.html").read_text(encoding="utf-8")
    assert "600030 沪 相关新闻" in first and "共 4 篇，第 1 / 2 页" in first


def test_the_page_of_all_stocks_counts_their_posts_most_first(site):
    _, out, _ = site
    page = (out / "stocks.html").read_text(encoding="utf-8")
    rows = re.findall(r'<li><a href="/stock/([^"]+)\.html">([^<]+)</a> <span class="count">(\d+)</span>', page)
    assert rows == [("1.600030", "600030 沪", "4"), ("0.002353", "002353 深", "2"), ("0.830799", "830799 北", "1"),
                    ("105.AAPL", "AAPL 美", "1"), ("116.00700", "00700 港", "1")]  # fmt: skip
    assert 'href="/stocks.html">股票</a>' in (out / "index.html").read_text(encoding="utf-8")


def test_a_post_links_its_stocks_and_nothing_that_is_no_security(site):
    _, out, posts = site
    page = (out / url_of(posts[2]).lstrip("/")).read_text(encoding="utf-8")
    assert re.findall(r'data-secid="([^"]+)" href="([^"]+)"', page) == [
        ("116.00700", "/stock/116.00700.html"), ("105.AAPL", "/stock/105.AAPL.html"),
        ("0.830799", "/stock/0.830799.html")]  # fmt: skip
    hostile = (out / url_of(posts[3]).lstrip("/")).read_text(encoding="utf-8")
    assert re.findall(r'data-secid="([^"]+)"', hostile) == ["1.600030"]
    assert "javascript:" not in hostile and "post-stocks" not in (out / url_of(posts[4]).lstrip("/")).read_text(
        encoding="utf-8"
    )
    assert not list(out.rglob("*alert*")) and not (out / "x.html").exists()


def test_the_search_source_of_a_post_files_its_stocks_secids_for_the_filter(site):
    """The secids of the layout's own list of stock links, beside the body: a link in the body that
    looks like one (an old post's raw HTML) files the post under no stock."""
    _, out, posts = site
    title, text, stocks = search.extract((out / url_of(posts[2]).lstrip("/")).read_bytes())
    assert stocks == ["116.00700", "105.AAPL", "0.830799"] and "相关股票" not in text
    page = (out / url_of(posts[2]).lstrip("/")).read_bytes()
    forged = page.replace(b'<div class="post-body">', b'<div class="post-body"><p class="post-stocks">'
                          b'<a class="stock" data-secid="1.600519">x</a></p>', 1)  # fmt: skip
    assert forged != page and search.extract(forged)[2] == stocks
    page = search.source_page(title, text, stocks)
    assert re.findall(r'<span data-pagefind-filter="stock">([^<]+)</span>', page) == stocks


def test_the_first_stock_of_an_archive_updates_every_page_as_a_full_build_does(tmp_path):
    """Every page links stocks.html, which is there with no stock too: the first stock of an archive
    (FINEWS_FRONT_MATTER_STOCKS switched on, maintain --add-stocks) changes no page but its lists."""
    root, out, full = tmp_path / "archive", tmp_path / "site", tmp_path / "full"
    synthesize_archive(root, 40, sources=2)
    build(root, out, "--no-search")
    assert "0 只股票" in (out / "stocks.html").read_text(encoding="utf-8")
    with_stocks(root, ['["1.600030"]'])
    assert build(root, out, "--no-search").stdout.startswith("updated ")
    build(root, full, "--no-search")
    assert tree(out) == tree(full)


def test_an_update_that_tags_a_post_with_a_stock_equals_a_full_build(site, tmp_path):
    root, _, posts = site
    copy = tmp_path / "archive"
    subprocess.run(["cp", "-a", str(root), str(copy)], check=True)
    out = tmp_path / "site"
    build(copy, out, "--no-search")
    moved = sorted(copy.glob("*/*.md"), key=lambda post: post.name)
    later = moved[-1]
    later.write_text(later.read_text(encoding="utf-8").replace("\ntags:", '\nstocks: ["0.002353"]\ntags:', 1),
                     encoding="utf-8")  # fmt: skip
    untagged = moved[0]
    untagged.write_text(untagged.read_text(encoding="utf-8").replace('\nstocks: ["1.600030", "0.002353"]', "", 1),
                        encoding="utf-8")  # fmt: skip
    assert build(copy, out, "--no-search").stdout.startswith("updated ")
    full = tmp_path / "full"
    build(copy, full, "--no-search")
    assert tree(out) == tree(full)
    assert listed(out / "stock" / "0.002353.html") == [url_of(later), url_of(posts[5])]
