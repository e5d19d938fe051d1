"""The hostile-input corpus (fixtures/hostile/): each case has its exact outcome, alone and in a crawl.

Outcomes are in fixtures/hostile/cases.json: "post" (a correct post is written) or the drop
reason counted as finews/dropped/<reason>. The crawl mixes them with good articles.
"""

import json
import re
from collections import Counter

import pytest
import yaml
from scrapy.http import HtmlResponse

from crawler.archive import ARTICLES
from crawler.archive.render import render_post
from crawler.archive.slugs import category_slug
from crawler.items import fields
from crawler.parsers import ParseError, parse_article, parse_list_api
from crawler.spiders.base import page_text
from fixtures.testing import FIXTURE_SITE, serve
from tests.conftest import FIXTURES
from tests.crawl import scrapy_crawl

HOSTILE = FIXTURES / "hostile"
CASES = json.loads((HOSTILE / "cases.json").read_text(encoding="utf-8"))
LIST_ANSWER = (HOSTILE / "site/np-listapi.eastmoney.com/comm/web/getNewsByColumns/9001/1.json").read_bytes()
LISTED = {entry.article_id: entry for entry in parse_list_api(LIST_ANSWER).entries}
PAGE_CASES = {k: v for k, v in CASES["articles"].items() if "fault" not in v and "large" not in v}
FORBIDDEN = re.compile(
    r"<script|<style|<iframe|<svg|<math|<form|<object|<input|\bon\w+=|javascript:|data:|style=", re.I
)


def outcome(article_id: str, body: bytes, content_type: str = "text/html") -> tuple[str, object]:
    """What the spider and validation make of one article page: ("post", article) or (reason, None)."""
    url = f"https://finance.eastmoney.com/a/{article_id}.html"
    response = HtmlResponse(url, body=body, headers={"Content-Type": content_type})
    try:
        article = parse_article(page_text(response), url, LISTED[article_id])
    except ParseError as exc:
        return exc.reason, None
    values = fields(article)
    ARTICLES.clean(values)  # the gate (pipelines/validate.py): characters first, then what is missing
    reason = ARTICLES.problem(values)
    return (reason, None) if reason else ("post", article)


@pytest.mark.parametrize("article_id", sorted(PAGE_CASES), ids=lambda i: PAGE_CASES[i]["what"])
def test_each_page_has_its_outcome(article_id):
    body = (HOSTILE / f"site/finance.eastmoney.com/a/{article_id}.html").read_bytes()
    result, article = outcome(article_id, body)
    assert result == PAGE_CASES[article_id]["outcome"]
    if article:
        post = render_post(article, category_slug(article.source), "{info_code}", "//site")
        front = yaml.safe_load(post.split("---\n")[1])
        assert front["title"] == article.title and front["categories"] == category_slug(article.source)
        assert not FORBIDDEN.search(post.split("---\n", 2)[2])


def test_gbk_page_under_a_lying_utf8_header_is_repaired():
    article_id = "202511200000000003"
    body = (HOSTILE / f"site/finance.eastmoney.com/a/{article_id}.html").read_bytes()
    result, article = outcome(article_id, body, "text/html; charset=utf-8")
    assert result == "post" and article.title == "错误声明的国标码页面" and article.source == "证券日报"


def test_list_entries_are_rejected_with_reasons():
    page = parse_list_api(LIST_ANSWER)
    assert sorted(page.rejected) == CASES["rejected_entries"]
    assert not any("/" in e.article_id or not e.article_id.isdigit() for e in page.entries)


@pytest.mark.parametrize(("column", "reason"), [("9002", "api_error"), ("9003", "bad_json")])
def test_broken_list_answers(column, reason):
    text = (HOSTILE / f"site/np-listapi.eastmoney.com/comm/web/getNewsByColumns/{column}/1.json").read_bytes()
    with pytest.raises(ParseError) as error:
        parse_list_api(text)
    assert error.value.reason == reason


def test_titles_and_sources_that_attack_files_and_yaml():
    def article(article_id):
        body = (HOSTILE / f"site/finance.eastmoney.com/a/{article_id}.html").read_bytes()
        return outcome(article_id, body)[1]

    assert article("202511200000000013").title == "长" * 2000
    assert article("202511200000000017").title == "第一行 第二行 制表 🚀 emoji"
    assert article("202511200000000015").title == "*ST康美 & !重要"
    slugs = {i: category_slug(article(i).source) for i in ("202511200000000018", "202511200000000019",
                                                           "202511200000000020", "202511200000000021", "202511200000000022")}  # fmt: skip
    assert slugs == {
        "202511200000000018": "caijingpindao",
        "202511200000000019": "shangjimulu",
        "202511200000000020": "caijing zao bao",
        "202511200000000021": "zhengquanshibao",
        "202511200000000022": "！？……",
    }


def test_xss_payloads_are_sanitized():
    body = (HOSTILE / "site/finance.eastmoney.com/a/202511200000000024.html").read_bytes()
    paragraphs = outcome("202511200000000024", body)[1].paragraphs
    assert paragraphs == [
        '<p>安全的正文<img src="https://finance.eastmoney.com/a/x"></p>',
        '<p>点我 <a href="https://example.com/ok">链接</a></p>',
        '<p><img src="https://np-newspic.dfcfw.com/download/D1.jpg"></p>',
        "<p><b>加粗</b></p>",  # svg and math (with their content) are gone
        "<p>结尾</p>",
    ]


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    large = tmp / "large" / "finance.eastmoney.com" / "a"
    large.mkdir(parents=True)
    faults = {}
    for article_id, case in CASES["articles"].items():
        if "large" in case:
            filler = "<p>填充</p>" * (case["large"] // 16)
            (large / f"{article_id}.html").write_text(f"<html><body><div id='ContentBody'>{filler}</div></body></html>")
        if "fault" in case:
            faults[f"/a/{article_id}\\.html"] = case["fault"]
    server, base_url = serve(HOSTILE / "site", tmp / "large", FIXTURE_SITE, faults=faults)
    try:
        process = scrapy_crawl(
            base_url, tmp / "archive", "categories=9001,9002,9003", FINEWS_REPORT_FILE=tmp / "report.json"
        )
    finally:
        server.shutdown()
    return tmp / "archive", json.loads((tmp / "report.json").read_text(encoding="utf-8")), process


@pytest.mark.slow
def test_crawl_writes_every_good_article_and_counts_every_bad_one(hostile_crawl):
    archive, report, process = hostile_crawl
    written = {re.search(r"NW(\d+)\.md$", p.name).group(1) for p in (archive / "_posts").glob("*.md")}
    posts = {i for i, case in CASES["articles"].items() if case["outcome"] == "post"}
    assert written == set(CASES["good"]) | posts
    expected_drops = Counter(case["outcome"] for case in CASES["articles"].values() if case["outcome"] != "post")
    assert report["dropped"] == expected_drops
    assert Counter(report["list_entries_not_taken"]) == Counter(CASES["rejected_entries"])
    assert report["lists_failed"]["api_error"] == 1 and report["lists_failed"]["bad_json"] == 1
    assert report["finish_reason"] == "finished" and process.returncode == 0


@pytest.mark.slow
def test_crawl_leaves_only_valid_posts_inside_the_archive(hostile_crawl):
    archive, _, _ = hostile_crawl
    for path in archive.rglob("*"):
        assert path.resolve().is_relative_to(archive.resolve())
        assert not path.match(".finews-*.tmp")
    for post in (archive / "_posts").glob("*.md"):
        text = post.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---\n")[1])
        assert set(front) <= {"layout", "title", "date", "categories", "tags", "render_with_liquid"}
        assert not FORBIDDEN.search(text.split("---\n", 2)[2])
        assert ("{%" in text or "{{" in text) == (front.get("render_with_liquid") is False)
