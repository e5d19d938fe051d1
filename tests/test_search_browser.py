"""The search page in headless Chromium over an index of many bundles (crawler/tools/search.py): every
post whose title or text holds a query is found (电动车 in 「瑞银：继续偏好电动车供应链…」 included),
only such posts, A股/5G/ST/*ST too, a phrase on no page finds nothing, and the UI shows what
finewsSearch gives. The archive: 1,000 synthesized posts with real bodies and the 60 real posts of
fixtures/expected, built by `scrapy archive build` and indexed in bundles of at most 25 posts.

Needs jekyll, chromium, chromedriver and selenium: skipped locally without them, failed under CI=true.
"""

import itertools
import re
import shutil

import pytest

from crawler.tools import search
from fixtures.testing import synthesize_archive
from tests.conftest import FIXTURES, need_tool
from tests.test_site_browser import SCREENSHOTS, browser, need_selenium, served, site_with_search  # noqa: F401

pytestmark = pytest.mark.slow  # real Jekyll, Pagefind and headless Chromium

QUERIES = ["电动车", "瑞银", "A股", "5G", "ST", "*ST", "锂电池", "中概股退市", "央行", "继续偏好电动车供应链"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The built, indexed and served archive: (base URL, log, {URL path: (title, text)}, bundles and posts indexed)."""
    need_tool("jekyll")
    root = tmp_path_factory.mktemp("search") / "archive"
    synthesize_archive(root, 1000, sources=6, real_bodies=True)
    for post in sorted((FIXTURES / "expected" / "_posts").glob("*.md")):
        shutil.copy(post, root / "_posts" / post.name)
    for number, title in enumerate(["5G手机带动*ST康美", "ST股与5G", "5GB不是5G吗", "STAR市场"]):  # ASCII words
        post = root / "_posts" / f"2023-03-0{number + 1}-NW2023030{number + 1}0000000001.md"
        post.write_text(f'---\nlayout: post\ntitle: "{title}"\ndate: 2023-03-0{number + 1} 10:00:00 +0800\n'
                        f"---\n<p>正文：{title}。</p>\n", encoding="utf-8")  # fmt: skip
    for number, post in enumerate(sorted((root / "_posts").glob("2022-*.md"))):  # East Money's tags on some
        tags = '["1.600030"]' if number % 7 == 0 else '["116.00700", "1.600030"]' if number % 11 == 0 else None
        if tags:
            text = post.read_text(encoding="utf-8")
            post.write_text(text.replace("\ntags:", f"\nstocks: {tags}\ntags:", 1), encoding="utf-8")
    report = site_with_search(root, limit=25)
    out = root / "_site"
    texts = {post.url: search.extract((out / post.file).read_bytes()) for post in search.posts_of_site(out)}
    server, base_url = served(out)
    yield base_url, server.log, texts, report
    server.shutdown()


def holds(page: tuple[str, str], query: str) -> bool:
    """Whether a post's title or text holds every space-separated part of the query, ASCII words whole
    (what search.js checks), in Python."""

    def found(text: str, part: str) -> bool:
        text = " ".join(search.normalized(text).split())
        start = r"(?<![0-9a-z])" if re.match("[0-9a-z]", part) else ""
        end = r"(?![0-9a-z])" if re.search("[0-9a-z]$", part) else ""
        return re.search(start + re.escape(part) + end, text) is not None

    return all(found(page[0], part) or found(page[1], part) for part in search.normalized(query).split())


@pytest.fixture(scope="module")
def page(browser, indexed):  # noqa: F811
    base_url = indexed[0]
    browser.get(base_url + "/search.html")
    browser.set_script_timeout(120)
    return browser


def finews_search(driver, query: str, stock: str | None = None) -> list[str]:
    return driver.execute_async_script(
        "window.finewsSearch(arguments[0], arguments[1]).then(arguments[2], e => arguments[2](String(e)))", query, stock
    )


def test_the_index_has_many_bundles(indexed):
    report = indexed[3]
    assert report["bundles"] >= 40 and report["posts"] == len(indexed[2]) >= 1064


@pytest.mark.parametrize("query", QUERIES)
def test_every_post_that_holds_the_query_is_found_and_only_those(page, indexed, query):
    texts = indexed[2]
    expected = {url for url, text in texts.items() if holds(text, query)}
    found = finews_search(page, query)
    assert isinstance(found, list), found
    assert len(found) == len(set(found)) and set(found) == expected
    if query in ("电动车", "A股", "5G", "*ST"):
        assert expected, f"the corpus holds no {query}: the test would prove nothing"


def test_the_electric_car_post_is_found_by_its_title(page, indexed):
    texts = indexed[2]
    (url,) = [url for url, (title, *_) in texts.items() if title.startswith("瑞银：继续偏好电动车供应链")]
    assert url in finews_search(page, "电动车")


def test_a_phrase_on_no_page_finds_nothing(page, indexed):
    """A phrase whose every pair some post holds, but no post the phrase: no result (the candidates
    Pagefind finds for its pairs are checked and dropped)."""
    texts = indexed[2]
    sets = {url: set(search.tokens(title + "\n" + text)) for url, (title, text, _) in texts.items()}
    phrase = None
    for url, (_title, text, _) in itertools.islice(texts.items(), 200):
        chars = [c for c in text if re.match(f"[{search.CJK}]", c)]
        for a, b, c in itertools.islice(itertools.product(chars[:20], repeat=3), 4000):
            candidate = a + b + c
            pairs = {search.tokens(a + b)[0], search.tokens(b + c)[0]}
            if pairs <= sets[url] and not any(holds(t, candidate) for t in texts.values()):
                phrase = candidate
                break
        if phrase:
            break
    assert phrase, "no such phrase in the corpus"
    assert finews_search(page, phrase) == []
    assert finews_search(page, "这句话不在任何一篇文章里") == []
    assert finews_search(page, "") == [] and finews_search(page, "，。") == []


def test_the_ui_shows_what_finews_search_gives(page, indexed):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base_url = indexed[0]
    expected = finews_search(page, "电动车")
    assert 10 < len(expected) <= 100  # more than one page of the UI
    box = page.find_element(By.CSS_SELECTOR, "input.search-input")
    box.clear()
    box.send_keys("电动车")
    WebDriverWait(page, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".search-link")) == 10)
    more = page.find_element(By.CSS_SELECTOR, ".search-more")
    for _ in range(12):  # pages of ten
        if not more.is_displayed():
            break
        shown = len(page.find_elements(By.CSS_SELECTOR, ".search-link"))
        more.click()
        WebDriverWait(page, 30).until(lambda d, shown=shown: len(d.find_elements(By.CSS_SELECTOR, ".search-link")) > shown
                                      or not more.is_displayed())  # fmt: skip
    links = [
        a.get_attribute("href").removeprefix(base_url) for a in page.find_elements(By.CSS_SELECTOR, ".search-link")
    ]
    assert links == expected
    assert page.find_element(By.CSS_SELECTOR, ".search-count").text == f"找到 {len(expected)} 篇含“电动车”的文章"
    marks = page.find_elements(By.CSS_SELECTOR, ".search-excerpt mark")
    assert marks and all(mark.text == "电动车" for mark in marks)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.save_screenshot(str(SCREENSHOTS / "search-bundles.png"))


def test_a_post_an_update_adds_is_found_and_a_removed_one_is_not(browser, tmp_path):  # noqa: F811
    """`scrapy archive build` into the same folder again (an update) indexes the bundle a new post
    lands in: the search page finds it at once; a post the update removed is found no more."""
    need_tool("jekyll")
    root = tmp_path / "archive"
    synthesize_archive(root, 200, sources=4)
    site_with_search(root)
    old = sorted((root / "_posts").glob("*.md"))[-1]
    new = root / "_posts" / old.name.replace(".md", "1.md")
    new.write_text(old.read_text(encoding="utf-8").replace("第二段。", "第二段，独一无二的新词。"), encoding="utf-8")
    old.unlink()
    assert site_with_search(root)["output"].startswith("updated ")
    server, base_url = served(root / "_site")
    try:
        browser.get(base_url + "/search.html")
        browser.set_script_timeout(120)
        year, month, day, name = new.name.split("-", 3)
        assert finews_search(browser, "独一无二的新词") == [f"/{year}/{month}/{day}/{name.removesuffix('.md')}.html"]
        gone = old.name.split("-", 3)
        assert f"/{gone[0]}/{gone[1]}/{gone[2]}/{gone[3].removesuffix('.md')}.html" not in finews_search(
            browser, "第二段"
        )
    finally:
        server.shutdown()


def test_the_search_narrows_to_a_stock_and_a_stock_alone_finds_all_its_posts(page, indexed):
    """The filter `stock` holds the codes of the securities each post links (its front matter's
    `stocks`): a query and a code find the posts that hold the query and are tagged with the stock; a
    code alone (or its secid) finds every post tagged with it; a code that is none finds nothing."""
    base_url, texts = indexed[0], indexed[2]
    page.get(base_url + "/search.html")  # another test may have left the browser on another site
    tagged = {url for url, (_, _, stocks) in texts.items() if "1.600030" in stocks}
    hong_kong = {url for url, (_, _, stocks) in texts.items() if "116.00700" in stocks}
    assert len(tagged) > 20 and hong_kong and hong_kong < tagged
    assert set(finews_search(page, "", "600030")) == tagged
    assert set(finews_search(page, "", "116.00700")) == hong_kong
    query = next(query for query in QUERIES if {url for url in tagged if holds(texts[url], query)})
    both = {url for url in tagged if holds(texts[url], query)}
    assert set(finews_search(page, query, "600030")) == both and both < set(finews_search(page, query))
    assert finews_search(page, "", "60003") == [] and finews_search(page, query, "javascript:1") == []


def test_a_stock_page_lists_its_posts_and_leads_to_them(page, indexed):
    from selenium.webdriver.common.by import By

    base_url, texts = indexed[0], indexed[2]
    tagged = {url for url, (_, _, stocks) in texts.items() if "116.00700" in stocks}
    page.get(base_url + "/stock/116.00700.html")
    assert page.find_element(By.TAG_NAME, "h1").text == "00700 港 相关新闻"
    links = [
        a.get_attribute("href").removeprefix(base_url) for a in page.find_elements(By.CSS_SELECTOR, ".post-list a")
    ]
    assert set(links) == tagged
    page.get(base_url + links[0])
    stocks = [a.text for a in page.find_elements(By.CSS_SELECTOR, ".post-stocks a.stock")]
    assert stocks == ["00700 港", "600030 沪"]
    page.find_elements(By.CSS_SELECTOR, ".post-stocks a.stock")[1].click()
    assert page.current_url == base_url + "/stock/1.600030.html"
    page.get(base_url + "/search.html")  # as the other tests expect it
