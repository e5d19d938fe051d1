"""test_xss's corpus through the old archive: `doctor --fix`, then `build`, then every page and search result.

Each payload of tests/test_xss.py goes, as the old scripts and people wrote it (by hand, not through the
crawler's pipelines), into the body of an old-archive post: per-media posts with HTML or Markdown
bodies in both folders, and 7x24 posts (digest and link). A few payloads are titles, quoted as YAML.
Each post also holds a plain word to search for (标记<number>) and one word they share (锂电池). Then
`scrapy archive doctor --fix`, `scrapy archive build` (with Pagefind), and the checks of test_xss on every
built page (`problems`, the Liquid canary); then in headless Chromium, with alert/confirm/prompt hooked
before any page script, every page is opened and every search answer read: no hook fired, no dialog,
and every result link is http(s) or relative.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from fixtures.testing import scrapy_command
from tests.conftest import REPO, need_tool
from tests.test_site_browser import browser, served  # noqa: F401 (browser: the fixture, headless Chromium)
from tests.test_xss import CANARY, PAYLOADS, problems

pytestmark = pytest.mark.slow  # doctor, a real Jekyll and Pagefind build, headless Chromium

CATEGORY, TAG = "zhengquanshibao", "证券时报新闻"
SHARED = "锂电池"
TITLED = [0, 2, 32, 33, 60, 63]  # payloads also used as a post title: scripts, quotes, Liquid
HOOK = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = function () { window.__xss.push(name + ":" + Array.from(arguments).join(",")); };
}
"""


def yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def per_media(number: int, payload: str) -> tuple[str, str]:
    title = PAYLOADS[number] if number in TITLED else f"样本{number:03d}号"
    if number % 2:  # the early scripts: HTML paragraphs
        body = f"<p>{SHARED}行业动态，标记{number}。</p>\n\n{payload}\n\n<p>结尾</p>"
    else:  # by hand: Markdown
        body = f"{SHARED}行业动态，标记{number}。\n\n{payload}\n\n结尾"
    text = (
        f"---\nlayout: post\ntitle: {yaml_string(title)}\ndate: 2022-05-26 10:{number % 60:02d}:00 +0800\n"
        f"categories: {CATEGORY}\ntags: {TAG}\n---\n{body}\n\n"
        f"[返回{TAG}](/category/{CATEGORY}.html)｜[返回首页](/)"
    )
    folder = "_posts" if number % 4 == 1 else "old_post"
    return f"{folder}/2022-05-26-NW20220526{number:010d}.md", text


def fast_news(number: int, payload: str) -> tuple[str, str]:
    """The first generation of 7x24 posts: the digest, then the article's URL."""
    item = f"2022053000{number:08d}"
    text = (
        f"---\nlayout: post\ntitle: {yaml_string(f'快讯{number:03d}')}\ndate: 2022-05-30 22:{number % 60:02d}:29\n"
        f"categories: emnews\ntags: 东财滚动新闻\n---\n{SHARED}快讯 标记{number} {payload}\n\n"
        f"http://finance.eastmoney.com/a/{item}.html"
    )
    return f"old_post/2022-05-30-{item}.md", text


def posts() -> dict[str, tuple[int, str]]:
    """file -> (number, payload): every payload once; every fifth also as a 7x24 post (numbered after)."""
    files = {}
    for number, payload in enumerate(PAYLOADS):
        name, text = per_media(number, payload)
        files[name] = (number, text)
    for number, payload in list(enumerate(PAYLOADS))[::5]:
        name, text = fast_news(len(PAYLOADS) + number, payload)
        files[name] = (len(PAYLOADS) + number, text)
    return files


def run(root: Path, *argv: str) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", *argv, settings={"FINEWS_ARCHIVE_DIR": root})
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def fixed_site(tmp_path_factory):
    """The old archive, after `doctor --fix`, built with search: (_site, {number: file}, doctor's findings)."""
    need_tool("jekyll")
    root = tmp_path_factory.mktemp("old-xss") / "archive"
    for folder in ("_posts", "old_post", "category"):
        (root / folder).mkdir(parents=True)
    shutil.copy(REPO / "site" / "_config.yml", root / "_config.yml")
    with open(root / "_config.yml", "a", encoding="utf-8") as config:
        config.write(f"finews_canary: {CANARY}\n")
    numbers = {}
    for name, (number, text) in posts().items():
        (root / name).write_bytes(text.encode("utf-8"))
        numbers[number] = name
    report = root.parent / "report.json"
    fix = run(root, "doctor", "--fix", "--report", str(report))
    assert fix.returncode == 0, (fix.stdout + fix.stderr)[-3000:]
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    again = run(root, "doctor")
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]  # nothing left to repair
    build = run(root, "build")
    assert build.returncode == 0, (build.stdout + build.stderr)[-3000:]
    return root / "_site", numbers, findings


def page_kind(relative: str) -> str:
    if relative == "index.html":
        return "home"
    if re.match(r"\d{4}/\d\d/\d\d/", relative):
        return "post"
    return relative.split("/", 1)[0]


def test_after_fix_no_built_page_can_run_script(fixed_site):
    site, numbers, findings = fixed_site
    assert {f["kind"] for f in findings} >= {"executable_content"}  # doctor did find and fix the corpus
    pages = sorted(site.rglob("*.html"))
    kinds = {page_kind(p.relative_to(site).as_posix()) for p in pages}
    assert {"post", "category", "home", "emnews", "search.html", "sources.html", "archive"} <= kinds, kinds
    assert sum(page_kind(p.relative_to(site).as_posix()) == "post" for p in pages) == len(numbers)
    unsafe = {}
    for path in pages:
        document = lxml.html.fromstring(path.read_bytes())
        found = problems(document)
        found += [
            f"<{el.tag}> in a post body"
            for el in document.xpath('//*[@class="post-body"]//*[self::style or self::link]')
        ]
        if found:
            unsafe[path.relative_to(site).as_posix()] = found
    assert unsafe == {}
    assert [p.relative_to(site).as_posix() for p in pages if CANARY in p.read_text(encoding="utf-8")] == []


def result_links_problems(hrefs: list[str]) -> list[str]:
    return [h for h in hrefs if not (h.startswith(("http://", "https://", "/")) or urlsplit(h).scheme == "")]


def test_in_chromium_nothing_runs_and_every_search_result_is_a_page_link(fixed_site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site, numbers, _ = fixed_site
    server, base_url = served(site)
    try:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
        fired = {}
        for path in sorted(site.rglob("*.html")):
            if path.relative_to(site).parts[0] == "pagefind":
                continue
            browser.get(f"{base_url}/{path.relative_to(site).as_posix()}")
            calls = browser.execute_script("return window.__xss")  # raises UnexpectedAlertPresent on a dialog
            if calls:
                fired[path.relative_to(site).as_posix()] = calls
        assert fired == {}

        # every plain word through the search page's finewsSearch: one result, its post, a path of the site
        browser.get(base_url + "/search.html")
        browser.set_script_timeout(120)
        answers = browser.execute_async_script(
            """
            const [words, done] = [arguments[0], arguments[arguments.length - 1]];
            (async () => {
              const out = {};
              for (const word of words) out[word] = await window.finewsSearch(word);
              return out;
            })().then(done, e => done({error: String(e)}));
            """,
            [f"标记{n}" for n in sorted(numbers)] + [SHARED],
        )
        assert "error" not in answers, answers
        assert len(answers[SHARED]) == len(numbers)
        assert result_links_problems([u for urls in answers.values() for u in urls]) == []
        missing = {w: urls for w, urls in answers.items() if w != SHARED and not urls}
        assert missing == {}

        # the UI: every result of the shared word shown, then its links and markup checked
        box = WebDriverWait(browser, 15).until(lambda d: d.find_element(By.CSS_SELECTOR, ".search-input"))
        box.send_keys(SHARED)
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".search-link"))
        for _ in range(len(numbers)):
            more = browser.find_element(By.CSS_SELECTOR, ".search-more")
            if not more.is_displayed():
                break
            shown = len(browser.find_elements(By.CSS_SELECTOR, ".search-link"))
            more.click()
            WebDriverWait(browser, 15).until(
                lambda d, shown=shown, more=more: (
                    len(d.find_elements(By.CSS_SELECTOR, ".search-link")) > shown or not more.is_displayed()
                )
            )
        WebDriverWait(browser, 15).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".search-link")) == len(numbers)
        )
        hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".search-link")]
        assert all(h.startswith(base_url + "/") for h in hrefs), hrefs
        # the results as rendered
        results = browser.execute_script("return document.querySelector('.search-results').outerHTML")
        assert problems(lxml.html.fromstring(results)) == []
        assert browser.execute_script("return window.__xss") == []
    finally:
        server.shutdown()
