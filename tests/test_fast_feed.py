"""The 7x24 rolling feed (spider eastmoney_724): feed parsing, the emnews post format, end to end.

A bad item of the feed (an impossible time, an entry that breaks its parser) is one item, not the page.
"""

import json
import re
from datetime import datetime

import pytest
import yaml
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.archive import ARTICLES, FAST_NEWS
from crawler.archive.render import render_fast_post
from crawler.items import SHANGHAI, FastNews, ListEntry, fields
from crawler.parsers import ParseError, parse_article, parse_fast_list
from crawler.spiders.eastmoney_724 import FastNewsSpider
from fixtures.testing import FIXTURE_SITE, serve
from tests.conftest import REFERENCE, project_settings
from tests.crawl import archive_files, scrapy_crawl

MANIFEST = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
FEED = [item for item in MANIFEST["fast"]][: 10 * 3]  # the items of the first 3 pages (scheduled mode)


def test_feed_page():
    answer = {
        "code": 1,
        "data": {
            "fastNewsList": [
                {"code": "202205302396671645", "title": "标题", "summary": "【标题】摘要", "showTime": "2022-05-30 22:00:29", "realSort": "1653919229000"},
                {"code": "202205302396671646", "title": "", "summary": "", "showTime": 1653919200, "realSort": "1653919200000"},
                {"code": "../x", "title": "坏编号"},
            ]
        },
    }  # fmt: skip
    page = parse_fast_list(json.dumps(answer, ensure_ascii=False))
    first, second = page.entries
    assert (first.article_id, first.title, first.summary) == ("202205302396671645", "标题", "【标题】摘要")
    assert first.published_at == datetime(2022, 5, 30, 22, 0, 29, tzinfo=SHANGHAI)
    assert second.published_at == datetime(2022, 5, 30, 22, 0, tzinfo=SHANGHAI)  # a Unix timestamp
    assert second.title == ""  # kept: the spider drops it with a reason
    assert page.rejected == ["bad_id"]
    assert page.cursor == "1653919200000"  # the last item's realSort


def test_feed_errors():
    with pytest.raises(ParseError) as error:
        parse_fast_list('{"code":0,"message":"Required String parameter \'req_trace\' is not present"}')
    assert error.value.reason == "api_error"
    assert parse_fast_list('{"code":1,"data":{"fastNewsList":[]}}').cursor is None


def test_emnews_post_matches_the_archive_format():
    sample = (REFERENCE / "posts/emnews/2022-05-30-202205302396671645.md").read_text(encoding="utf-8")
    front, body = sample.split("---\n", 2)[1:]
    summary = body.split("\n\n")[0].removeprefix("> ")
    news = FastNews(
        article_id="202205302396671645",
        url="https://finance.eastmoney.com/a/202205302396671645.html",
        title="加拿大年金计划委员会手握190只中国股票 市值超500亿元",
        published_at=datetime(2022, 5, 30, 22, 0, 29, tzinfo=SHANGHAI),
        summary="【加拿大年金计划委员会手握190只中国股票】" + summary,
        paragraphs=["<p>近日，加拿大主权财富基金披露最新财报。</p>"],
        source="中国证券报",
    )
    ours = render_fast_post(news, "//finews.withounder.com")
    assert ours.split("---\n")[1] == front  # front matter, line for line
    parts = ours.split("---\n", 2)[2].split("\n\n")
    assert parts == [
        "> " + summary,  # the 【headline】 is gone
        '<p>近日，加拿大主权财富基金披露最新财报。</p><p class="em_media">（文章来源：中国证券报）</p>',
        "<https://finance.eastmoney.com/a/202205302396671645.html>",
        body.split("\n\n")[-1],  # [返回东财滚动新闻](//finews.withounder.com/emnews/)｜[返回首页](...)
    ]


@pytest.fixture(scope="module")
def feed_run(tmp_path_factory):
    server, base_url = serve()
    archive = tmp_path_factory.mktemp("emnews") / "archive"
    try:
        first = scrapy_crawl(base_url, archive, spider="eastmoney_724")
        files = archive_files(archive)
        server.requested.clear()
        second = scrapy_crawl(base_url, archive, spider="eastmoney_724")
        rerun_requests = list(server.requested)
    finally:
        server.shutdown()
    return archive, files, first, second, rerun_requests


@pytest.mark.slow
def test_every_feed_item_is_posted_in_the_emnews_format(feed_run):
    _archive, files, first, _, _ = feed_run
    for item in FEED:
        name = f"_posts/{(item['show_time'] or '')[:10]}-{item['id']}.md"
        if not item["title"]:
            assert not any(item["id"] in n for n in files), "an empty feed item must not be posted"
            continue
        text = files[name]
        front = yaml.safe_load(text.split("---\n")[1])
        assert front == {"layout": "post", "title": item["title"], "categories": "emnews", "tags": "东财滚动新闻",
                         "date": f"{item['show_time']} +0800"}  # fmt: skip
        parts = text.split("---\n", 2)[2].split("\n\n")
        summary = re.sub(r"^【[^】]*】", "", item["summary"])
        if summary:
            assert parts.pop(0) == "> " + summary
        assert parts[-2] == f"<https://finance.eastmoney.com/a/{item['id']}.html>"
        assert parts[-1] == "[返回东财滚动新闻](//finews.withounder.com/emnews/)｜[返回首页](//finews.withounder.com/)"
        assert len(parts) == (3 if item["has_article"] else 2)  # summary-only items have no article blocks
    posted = [i for i in FEED if i["title"]]
    assert sum(1 for n in files if n.startswith("_posts/")) == len(posted)
    assert files["emnews/index.html"].startswith("---\nlayout: category\n")
    assert "dropped: no_title 1" in first.stderr


@pytest.mark.slow
def test_rerun_writes_nothing_and_fetches_no_article(feed_run):
    archive, files, _, second, requested = feed_run
    assert archive_files(archive) == files
    assert len(requested) == 1 and "getFastNewsList" in requested[0]
    assert "new posts: 0" in second.stderr


@pytest.mark.slow
def test_both_feeds_keep_their_own_copy_of_an_article(feed_run, tmp_path):
    """The archive keeps per-media (NW...) and emnews (bare id) posts of one article, as before."""
    archive, _files, _, _, _ = feed_run
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, archive)  # the per-media feed, into the same archive
    finally:
        server.shutdown()
    both = [
        i["id"]
        for i in FEED
        if i["has_article"] and (archive / "_posts" / f"{i['show_time'][:10]}-NW{i['id']}.md").exists()
    ]
    assert both and all((archive / "_posts" / f"{MANIFEST_DAY[i]}-{i}.md").exists() for i in both)


MANIFEST_DAY = {item["id"]: (item["show_time"] or "")[:10] for item in MANIFEST["fast"]}


@pytest.mark.slow
def test_backfill_pages_on_past_the_scheduled_limit(tmp_path):
    days = sorted(item["show_time"][:10] for item in MANIFEST["fast"] if item["show_time"])
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, tmp_path, f"since={days[0]}", spider="eastmoney_724")
    finally:
        server.shutdown()
    posted = {p.name.split("-", 3)[3].removesuffix(".md") for p in (tmp_path / "_posts").glob("*.md")}
    assert posted == {item["id"] for item in MANIFEST["fast"] if item["title"]}  # all pages, not just 3


def test_a_7x24_item_keeps_its_article_body_when_the_page_names_no_media(tmp_path):
    """A 7x24 post needs no media name (that is the per-media feed's rule): the page's body is kept."""
    crawler = get_crawler(FastNewsSpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path)))
    spider = FastNewsSpider.from_crawler(crawler)
    crawler.stats.open_spider()
    article_id = "202205302396671645"
    entry = ListEntry(article_id, title="快讯标题", published_at=datetime(2022, 5, 30, 9, 0, tzinfo=SHANGHAI),
                      summary="摘要")  # fmt: skip
    page = (
        '<html><head><meta charset="utf-8"></head><body><div class="title">快讯标题</div>'
        '<div class="infos"><div class="item">2022年05月30日 09:00</div></div>'
        '<div id="ContentBody"><p>页面正文第一段</p><p>第二段</p></div></body></html>'
    )
    url = f"https://finance.eastmoney.com/a/{article_id}.html"
    response = HtmlResponse(url, body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    [news] = list(spider.parse_article(response, entry))
    assert news.paragraphs == ["<p>页面正文第一段</p>", "<p>第二段</p>"] and news.source == ""
    assert not crawler.stats.get_value("finews/emnews/summary_only/no_source")
    assert FAST_NEWS.problem(fields(news)) is None  # and it is written


def test_a_7x24_item_lists_the_page_s_securities_then_its_stock_list_s(tmp_path):
    """Body first (a chart's stock named by its later link), then the stockList's not there yet, in list
    order, once each; boards apart. Without a readable page, the stockList's alone."""
    crawler = get_crawler(FastNewsSpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path)))
    spider = FastNewsSpider.from_crawler(crawler)
    crawler.stats.open_spider()
    [entry] = parse_fast_list(fast_answer(fast_item(
        "202205302396671645", stockList=["116.00700", "1.600519", "bad", "90.BK0473", 1, "0.000001", "116.00700"]
    ))).entries  # fmt: skip
    page = (
        '<html><head><meta charset="utf-8"></head><body><div class="title">快讯标题</div>'
        '<div class="infos"><div class="item">2022年05月30日 09:00</div></div><div id="ContentBody">'
        '<p><a href="http://quote.eastmoney.com/unify/r/1.600519" data-code="600519|1|1" class="EmImageRemark">'
        '<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=1.600519"></a></p>'
        '<p>　　<span id="stock_0.000858"><a href="http://quote.eastmoney.com/unify/r/0.000858" class="keytip" '
        'data-code="0,000858">五粮液</a></span>与<span web="1" href="http://quote.eastmoney.com/unify/r/1.600519" '
        'class="em_stock_key_common" data-code="1,600519">贵州茅台</span></p></div></body></html>'
    )
    url = "https://finance.eastmoney.com/a/202205302396671645.html"
    response = HtmlResponse(url, body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    [news] = list(spider.parse_article(response, entry))
    assert news.paragraphs == ["<p>五粮液与贵州茅台</p>"]
    assert news.stocks == [
        {"secid": "1.600519", "code": "600519", "name": "贵州茅台"},
        {"secid": "0.000858", "code": "000858", "name": "五粮液"},
        {"secid": "116.00700", "code": "00700", "name": ""},
        {"secid": "0.000001", "code": "000001", "name": ""},
    ]
    assert news.boards == [{"secid": "90.BK0473", "code": "BK0473", "name": ""}]
    summary_only = spider.from_summary(entry, "http_404")
    assert [s["secid"] for s in summary_only.stocks] == ["116.00700", "1.600519", "0.000001"]
    assert [s["secid"] for s in summary_only.boards] == ["90.BK0473"] and summary_only.paragraphs == []


def test_a_per_media_article_whose_page_names_no_media_is_dropped_as_no_source():
    entry = ListEntry("202205302396671645", title="标题", published_at=datetime(2022, 5, 30, 9, 0, tzinfo=SHANGHAI))
    page = '<html><body><div id="ContentBody"><p>正文</p></div></body></html>'
    article = parse_article(page, "https://finance.eastmoney.com/a/202205302396671645.html", entry)
    assert article.source == "" and ARTICLES.problem(fields(article)) == "no_source"


def fast_answer(*items) -> bytes:
    return json.dumps({"code": 1, "data": {"fastNewsList": list(items), "sortEnd": "x"}}).encode()


def fast_item(code: str, **changes) -> dict:
    return {"code": code, "title": "快讯", "summary": "摘要", "showTime": "2025-11-20 10:30:00", **changes}


def test_a_7x24_item_with_an_impossible_time_is_one_item_without_a_time():
    page = parse_fast_list(fast_answer(
        fast_item("202511200000000101", showTime="99999999999999999999"),
        fast_item("202511200000000102", showTime="0001-01-01 00:00:00"),
        fast_item("202511200000000103", showTime=-1e300),
        fast_item("202511200000000104"),
    ))  # fmt: skip
    assert [e.published_at for e in page.entries][:3] == [None, None, None]
    assert page.entries[3].published_at == datetime(2025, 11, 20, 10, 30, tzinfo=SHANGHAI)


def test_an_entry_that_breaks_its_parser_is_rejected_and_the_page_goes_on(monkeypatch):
    from crawler.parsers import lists

    def fragile(value):
        if value == "boom":
            raise RuntimeError("an unforeseen entry")
        return str(value or "")

    monkeypatch.setattr(lists, "clean_text", fragile)
    page = parse_fast_list(fast_answer(fast_item("202511200000000201", title="boom"), fast_item("202511200000000202")))
    assert [e.article_id for e in page.entries] == ["202511200000000202"] and page.rejected == ["bad_entry"]
