"""Built sites in headless Chromium: the demo (`scrapy demo`): home -> post -> category -> home,
and /emnews/; a large archive (`scrapy archive build`): a source's page 2 to a post of the
old-posts folder, and a Chinese search from the search page to the post that holds the word.

Screenshots go to test-artifacts/screenshots/. Needs jekyll, chromium, chromedriver and selenium:
skipped locally without them, failed under CI=true.
"""

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from crawler.tools import search
from fixtures.testing import scrapy_command, synthesize_archive
from tests.conftest import FIXTURES, REPO, need_tool

pytestmark = pytest.mark.slow  # real Jekyll builds and headless Chromium

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
POST_ID = "202306232767354167"  # 上海证券报·中国证券网, with images; its slug has a "·"
ARTICLE = next(a for a in json.loads((FIXTURES / "site" / "manifest.json").read_text(encoding="utf-8"))["articles"]
               if a["id"] == POST_ID)  # fmt: skip
CATEGORY = "上海证券报·中国证券网新闻"


def need_selenium():
    try:
        import selenium  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("selenium is required under CI=true")
        pytest.skip("selenium not installed")


class LoggingHandler(SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        self.server.log.append((unquote(urlsplit(self.path).path), int(code)))

    def log_message(self, format, *args):
        pass


def served(folder):
    """Serve `folder` on 127.0.0.1: (server, base URL); the server's `log` has (path, status)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(LoggingHandler, directory=str(folder)))
    server.log = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo site built by THE command and served on 127.0.0.1: (base URL, log of (path, status))."""
    need_tool("jekyll")
    target = tmp_path_factory.mktemp("demo") / "site"
    build = subprocess.run([sys.executable, "-m", "scrapy", "demo", str(target)],
                           cwd=REPO, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr[-3000:]
    server, base_url = served(target / "_site")
    yield base_url, server.log
    server.shutdown()


@pytest.fixture(scope="module")
def large_site(tmp_path_factory):
    """An archive of 1,200 posts (one source has 600: two pages), a quarter in old_post/, built by
    `scrapy archive build` (with its search index), and served: (base URL, log,
    the big source's posts newest first)."""
    need_tool("jekyll")
    root = tmp_path_factory.mktemp("large") / "archive"
    by_slug = synthesize_archive(root, 1200, sources=8, big_share=0.5)
    site_with_search(root)
    server, base_url = served(root / "_site")
    yield base_url, server.log, max(by_slug.values(), key=len)
    server.shutdown()


def site_with_search(root, limit: int = search.LIMIT) -> dict:
    """Build the archive at `root` with its search index in bundles of at most `limit` posts
    (`scrapy archive build`): {"bundles": how many, "posts": posts indexed, "output": what it said}."""
    settings = {"FINEWS_ARCHIVE_DIR": root, "FINEWS_SEARCH_BUNDLE_POSTS": limit}
    build = subprocess.run(scrapy_command("archive", "build", settings=settings), cwd=REPO, capture_output=True,
                           text=True, timeout=600)  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr[-3000:]
    folder = root / "_site" / search.FOLDER
    bundles = json.loads((folder / search.BUNDLES_FILE).read_text(encoding="utf-8"))
    entries = [json.loads((folder / name / "pagefind-entry.json").read_text()) for name in bundles["bundles"]]
    counts = [entry["languages"][bundles["language"]]["page_count"] for entry in entries]
    return {"bundles": len(counts), "posts": sum(counts), "output": build.stdout}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    need_selenium()
    chromium, chromedriver = need_tool("chromium"), need_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1400", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):  # fmt: skip
        options.add_argument(flag)  # the resolver rule: images on East Money's hosts fail at once, offline
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def local_links(driver, base_url: str) -> set[str]:
    from selenium.webdriver.common.by import By

    hrefs = (a.get_attribute("href") for a in driver.find_elements(By.TAG_NAME, "a"))
    return {urljoin(base_url, h).split("#")[0] for h in hrefs if h and h.startswith(base_url)}


def follow(driver, by: str, value: str) -> None:
    """Click the link found by (`by`, `value`) and wait until the new page has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.current_url
    driver.find_element(by, value).click()
    WebDriverWait(driver, 10).until(
        lambda d: d.current_url != old and d.execute_script("return document.readyState") == "complete"
    )


def test_home_post_category_and_back(browser, site):
    from selenium.webdriver.common.by import By

    site_url, log = site

    def text(selector):
        return browser.find_element(By.CSS_SELECTOR, selector).text

    browser.get(site_url + "/")
    assert text("h1") == "最新新闻"
    assert CATEGORY in text("main")
    browser.save_screenshot(str(SCREENSHOTS / "home.png"))
    home_links = local_links(browser, site_url)
    assert len(home_links) >= 40 and {u: status(u) for u in home_links if status(u) != 200} == {}

    post_path = f"/{ARTICLE['show_time'][:10].replace('-', '/')}/NW{POST_ID}.html"
    follow(browser, By.CSS_SELECTOR, f'a[href="{post_path}"]')
    assert text("h1.post-title") == ARTICLE["title"]
    assert urlsplit(browser.current_url).path == post_path
    assert text(".post-meta time") == ARTICLE["show_time"] + " +0800"
    assert len(browser.find_elements(By.CSS_SELECTOR, ".post-body p")) >= 3
    assert ARTICLE["images"] and browser.find_elements(By.CSS_SELECTOR, ".post-body img")
    browser.save_screenshot(str(SCREENSHOTS / "post.png"))

    follow(browser, By.PARTIAL_LINK_TEXT, "返回" + CATEGORY)
    assert unquote(urlsplit(browser.current_url).path) == "/category/shanghaizhengquanbao·zhongguozhengquanwang.html"
    assert text("h1") == CATEGORY
    assert browser.find_elements(By.CSS_SELECTOR, f'.post-list a[href="{post_path}"]')
    browser.save_screenshot(str(SCREENSHOTS / "category.png"))
    assert {u: status(u) for u in local_links(browser, site_url) if status(u) != 200} == {}

    browser.back()
    follow(browser, By.PARTIAL_LINK_TEXT, "返回首页")
    assert browser.current_url == site_url + "/" and text("h1") == "最新新闻"
    assert [entry for entry in log if entry[1] >= 400] == []  # every page, stylesheet and link checked


def test_emnews(browser, site):
    from selenium.webdriver.common.by import By

    site_url, log = site

    browser.get(site_url + "/emnews/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "东财滚动新闻"
    items = browser.find_elements(By.CSS_SELECTOR, ".post-list li")
    assert len(items) >= 20
    browser.save_screenshot(str(SCREENSHOTS / "emnews.png"))

    follow(browser, By.CSS_SELECTOR, ".post-list a")
    assert browser.find_element(By.CSS_SELECTOR, ".post-meta time").text.endswith(" +0800")
    follow(browser, By.PARTIAL_LINK_TEXT, "返回东财滚动新闻")
    assert urlsplit(browser.current_url).path == "/emnews/"
    assert [entry for entry in log if entry[1] >= 400] == []


def post_path(path) -> str:
    year, month, day, name = path.name.split("-", 3)
    return f"/{year}/{month}/{day}/{name.removesuffix('.md')}.html"


def test_an_old_post_through_its_sources_second_page(browser, large_site):
    from selenium.webdriver.common.by import By

    site_url, log, posts = large_site
    oldest = posts[-1]
    assert oldest.parent.name == "old_post" and len(posts) == 600
    browser.get(site_url + post_path(posts[0]))
    follow(browser, By.PARTIAL_LINK_TEXT, "返回财经媒体0000新闻")
    assert browser.find_element(By.TAG_NAME, "h1").text == "财经媒体0000新闻"
    assert len(browser.find_elements(By.CSS_SELECTOR, ".post-list li")) == 500
    follow(browser, By.CSS_SELECTOR, ".pager a[rel=next]")
    assert urlsplit(browser.current_url).path.endswith("/page2.html")
    assert "第 2 / 2 页" in browser.find_element(By.CSS_SELECTOR, ".list-count").text
    browser.save_screenshot(str(SCREENSHOTS / "category-page2.png"))
    follow(browser, By.CSS_SELECTOR, f'.post-list a[href="{post_path(oldest)}"]')
    assert browser.find_element(By.CSS_SELECTOR, "h1.post-title").text == "财经媒体0000第0号快评：锂电池"
    assert [entry for entry in log if entry[1] >= 400] == []


def test_a_chinese_word_of_a_body_is_found_and_leads_to_its_post(browser, large_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site_url, log, posts = large_site

    def number(path) -> int:  # the post's number; its body says 标记<number>
        return int(path.stem.rsplit("-", 1)[1][10:])

    # a post of the old-posts folder whose 标记<number> begins no other post's (numbers go to 1199)
    wanted = next(p for p in reversed(posts) if 120 <= number(p) < 300 and p.parent.name == "old_post")
    number = number(wanted)
    browser.get(site_url + "/search.html")
    box = WebDriverWait(browser, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "input.search-input"))

    def search(query: str) -> str:
        """Type `query`; the UI's count line once it answers that query (it answers as one types)."""
        box.clear()
        box.send_keys(query)
        return WebDriverWait(browser, 15).until(
            lambda d: next((m.text for m in d.find_elements(By.CSS_SELECTOR, ".search-count") if query in m.text
                            or (m.text.startswith("已找到") and box.get_attribute("value") == query)), None)
        )  # fmt: skip

    assert search(f"标记{number}") == f"找到 1 篇含“标记{number}”的文章"
    assert len(browser.find_elements(By.CSS_SELECTOR, ".search-link")) == 1
    browser.save_screenshot(str(SCREENSHOTS / "search.png"))
    follow(browser, By.CSS_SELECTOR, ".search-link")
    assert urlsplit(browser.current_url).path == post_path(wanted)
    assert f"标记{number}" in browser.find_element(By.CSS_SELECTOR, ".post-body").text
    browser.back()
    box = WebDriverWait(browser, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, "input.search-input"))
    search("锂电池")  # a word of one post body in ten: a first page of ten, and more
    WebDriverWait(browser, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".search-link")) == 10)
    assert browser.find_element(By.CSS_SELECTOR, ".search-more").is_displayed()
    assert [entry for entry in log if entry[1] >= 400] == []


def test_finews_search_gives_the_paths_of_what_the_search_finds(browser, large_site):
    site_url, _, posts = large_site
    numbered = {int(path.stem.rsplit("-", 1)[1][10:]): path for path in posts}  # its body says 标记<number>
    number = next(n for n in sorted(numbered) if 120 <= n < 300)  # begins no other post's number (to 1199)
    wanted = numbered[number]
    browser.get(site_url + "/search.html")
    browser.set_script_timeout(30)

    def finews_search(query: str) -> list[str]:
        return browser.execute_async_script(
            "window.finewsSearch(arguments[0]).then(arguments[1], e => arguments[1](String(e)))", query
        )

    assert finews_search(f"标记{number}") == [post_path(wanted)]
    found = finews_search("锂电池")  # a word of one post body in ten
    assert len(found) == len(set(found)) == 120 and all(path.endswith(".html") for path in found)
