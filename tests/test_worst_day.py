"""A bad item is one dropped item, the exit status tells the truth, a mistake is one clear line.

The worst days of a scheduled crawler, each on the mirror or on saved answers: poison pages
and list items, characters that crash or corrupt, names the file system refuses, articles that
all fail, wrong arguments and settings, robots.txt, decompression bombs, FIFOs and symlink
loops in the archive, and the small things (scrapy parse, the summary at -L WARNING).
"""

import errno
import gzip
import json
import os
import re
import subprocess
from datetime import datetime

import pytest
from scrapy.exceptions import DropItem, UsageError
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler import settings as defaults
from crawler.archive import Archive
from crawler.archive.index import post_files
from crawler.archive.slugs import MAX_SLUG_BYTES, category_slug
from crawler.config import check_settings
from crawler.items import SHANGHAI, ListEntry, ListPage
from crawler.parsers import parse_article, parse_fast_list
from crawler.spiders.eastmoney import EastMoneySpider
from crawler.spiders.eastmoney_724 import FastNewsSpider
from fixtures.testing import ARTICLE_PATH, FIXTURE_SITE, scrapy_command, serve, synthesize
from pipelines.validate import ValidatePipeline
from pipelines.write import WritePostPipeline
from tests.conftest import REPO, make_article, project_settings
from tests.crawl import scrapy_crawl


# --- poison pages: linear time, a budget -------------------------------------------------------
def adversarial_page(body: str) -> str:
    return (
        '<html><head><meta charset="utf-8"></head><body><div class="newsContent"><h1>标题</h1>'
        '<div class="time-source"><div class="time">2021年12月31日 06:49</div></div>'
        f'<div id="ContentBody" class="Body">{body}<p class="em_media">（文章来源：中国证券报）</p></div></div></body></html>'
    )


SEED_URL = "https://finance.eastmoney.com/a/202112312231871790.html"
SIZE = 400_000  # characters of each adversarial body: quadratic paths took minutes at this size


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("body", "paragraphs"),
    [
        ("<p>正文" + " " * SIZE + "x </p>", 1),  # a run of blanks not at the end (the old trailing-blank regex)
        ("<p>" + "<br>" * (SIZE // 8) + "正文 </p>", 1),  # 50,000 tags: within the budget
        ("<p>正文" + "&nbsp;" * (SIZE // 6) + "</p>", 1),  # the sanitizer escapes one long text
        ("<p>x" + "&amp; " * (SIZE // 6) + "</p>", 1),
        ("<i>a</i>b" * 10_000, 1),  # inline runs at the top level (len() of an element)
        ("<p>正文</p>" + "<script></script>t" * 20_000, 2),  # many dropped siblings (drop_tree)
    ],
    ids=["blanks", "br", "nbsp", "escapes", "inline-runs", "dropped-siblings"],
)
def test_adversarial_bodies_parse_in_linear_time_and_keep_their_text(body, paragraphs):
    article = parse_article(adversarial_page(body), SEED_URL)
    assert len(article.paragraphs) == paragraphs and article.source == "中国证券报"


def test_a_page_over_the_tag_budget_is_dropped_with_its_own_reason():
    from crawler.parsers import ParseError
    from crawler.parsers.article import MAX_TAGS

    with pytest.raises(ParseError) as error:
        parse_article(adversarial_page("<p>段落</p>" * (MAX_TAGS // 2 + 1)), SEED_URL)
    assert error.value.reason == "too_many_elements"


# --- a bad list item is one rejected item ------------------------------------------------------
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


# --- characters: one gate before the archive ---------------------------------------------------
@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(EastMoneySpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path / "site")))
    crawler.stats.open_spider()
    return crawler


def validated(crawler, item):
    return ValidatePipeline.from_crawler(crawler).process_item(item)


@pytest.mark.parametrize(
    ("changes", "cleaned"),
    [
        ({"title": "标题\ud800"}, {"title": "标题"}),  # a lone surrogate cannot be written as UTF-8
        ({"title": "正\u202e常\u2066标题\u200b"}, {"title": "正常标题"}),  # bidi controls, zero width
        ({"source": "中国\x00证券报\x85"}, {"source": "中国证券报"}),  # NUL and a C1 control
        ({"paragraphs": ["<p>\ufffd\ufffd</p>", "<p>正\x07文</p>"]}, {"paragraphs": ["<p>正文</p>"]}),
    ],
)
def test_invisible_characters_are_removed_before_anything_is_written(crawler, changes, cleaned):
    item = validated(crawler, make_article(**changes))
    assert {name: getattr(item, name) for name in cleaned} == cleaned


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"title": "\u200b\u200d\ufeff"}, "no_title"),  # invisible once cleaned
        ({"source": "\u202e\u200b"}, "no_source"),
        ({"paragraphs": ["<p>" + "\ufffd" * 2000 + "</p>"]}, "empty_body"),  # what a body of NUL bytes parses to
        ({"published_at": datetime(1, 1, 1, tzinfo=SHANGHAI)}, "too_old"),
        ({"published_at": datetime(1999, 12, 31, 23, 59, tzinfo=SHANGHAI)}, "too_old"),
    ],
)
def test_items_with_nothing_left_to_show_are_dropped_with_a_reason(crawler, changes, reason):
    with pytest.raises(DropItem, match=reason):
        validated(crawler, make_article(**changes))


# --- names: a slug is always a file name; only the archive's failures stop the run --------------
def test_a_slug_is_capped_in_bytes_and_names_that_meet_are_reported(crawler, tmp_path):
    long_name = "很长的媒体名称" * 9
    assert len(category_slug(long_name).encode()) <= MAX_SLUG_BYTES
    assert category_slug("中国证券报·中证网") == "zhongguozhengquanbao·zhongzhengwang"  # real slugs unchanged
    writer = WritePostPipeline.from_crawler(crawler)
    writer.process_item(validated(crawler, make_article(source=long_name + "甲")))
    writer.process_item(validated(crawler, make_article(info_code="NW202112312231871791", source=long_name + "乙")))
    assert crawler.stats.get_value(f"finews/slug_collisions/{category_slug(long_name + '甲')}") == 1
    assert len(list((tmp_path / "site" / "_posts").iterdir())) == 2


@pytest.mark.parametrize(
    ("error", "dropped", "stops"),
    [
        (errno.ENAMETOOLONG, True, False),
        (errno.EILSEQ, True, False),
        (errno.ENOSPC, False, True),
        (errno.EROFS, False, True),
        (errno.EACCES, False, True),
    ],
    ids=["name-too-long", "illegal-bytes", "disk-full", "read-only", "permission"],
)
def test_a_post_the_file_system_refuses_is_dropped_and_a_failing_archive_stops_the_run(
    crawler, monkeypatch, error, dropped, stops
):
    def refuse(self, path, text):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(Archive, "write", refuse)

    class Engine:
        reason = None

        def close_spider_async(self, reason):
            self.reason = reason

    crawler.engine = Engine()
    with pytest.raises(DropItem):
        WritePostPipeline.from_crawler(crawler).process_item(make_article())
    assert (crawler.stats.get_value("finews/dropped/unwritable") == 1) is dropped
    assert (crawler.engine.reason == "archive_not_writable") is stops


# --- the archive's folders hold only what they should ----------------------------------------
def test_walks_skip_fifos_symlinks_and_loops(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2021-12-31-NW202112312231871790.md").write_text("a post")
    os.mkfifo(posts / "2021-12-31-NW202112312231871791.md")  # would hang a reader
    (posts / "loop").symlink_to(".")  # would list every post again and again
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "2021-12-31-NW202112312231871792.md").write_text("not the archive's")
    (posts / "elsewhere").symlink_to(tmp_path / "outside")
    assert [p.name for p in post_files(posts)] == ["2021-12-31-NW202112312231871790.md"]
    assert "NW202112312231871792" not in Archive(tmp_path)


def test_export_never_dies_on_one_post_and_never_hangs(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2021-12-31-NW202112312231871790.md").write_text(
        '---\nlayout: post\ntitle: "坏\\uD800标题"\ndate: 2021-12-31 06:49:26 +0800\ncategories: x\ntags: x新闻\n---\n'
    )  # an old archive's escape of a lone surrogate: Jekyll's YAML (libyaml) refuses it, so does every command
    (posts / "2021-12-31-NW202112312231871791.md").write_text(
        "---\nlayout: post\ntitle: 好\ndate: 2021-12-31 06:49:26 +0800\ncategories: x\ntags: x新闻\n---\n"
    )
    os.mkfifo(posts / "2021-12-31-NW202112312231871792.md")
    command = scrapy_command("archive", "export", settings={"FINEWS_ARCHIVE_DIR": tmp_path})
    process = subprocess.run(command, cwd=REPO, capture_output=True, timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    records = [json.loads(line) for line in process.stdout.decode().splitlines()]
    assert [r["title"] for r in records] == ["好"]
    assert "skipped" in process.stderr.decode() and "NW202112312231871790" in process.stderr.decode()


# --- a list page holds at most so many entries -------------------------------------------------
def test_a_huge_list_page_queues_at_most_the_cap(tmp_path):
    crawler = get_crawler(
        EastMoneySpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path), FINEWS_MAX_LIST_ENTRIES=100)
    )
    crawler.stats.open_spider()
    spider = EastMoneySpider.from_crawler(crawler)
    page = ListPage([ListEntry(f"2025112000000{n:05d}") for n in range(5000)])
    assert len(spider.take_list("cgnjj", page)) == 100
    assert crawler.stats.get_value("finews/lists/rejected_entries/over_cap") == 4900


# --- arguments and settings: checked before the first request, one line each -------------------
@pytest.mark.parametrize(
    ("spider", "args", "message"),
    [
        (
            EastMoneySpider,
            {"foo": "bar"},
            "unknown argument 'foo': eastmoney takes categories, lists, pages, since, until",
        ),
        (
            FastNewsSpider,
            {"categories": "cgnjj"},
            "unknown argument 'categories': eastmoney_724 takes pages, since, until",
        ),
        (EastMoneySpider, {"categories": "cgnjjj"}, "unknown category 'cgnjjj': use an API column number or one of"),
        (EastMoneySpider, {"categories": "chgyj"}, "category 'chgyj' has no list-API column: use lists=html"),
        (EastMoneySpider, {"pages": "abc"}, "pages must be a whole number of list pages, 1 or more, not 'abc'"),
        (EastMoneySpider, {"since": "2026-02-01", "until": "2026-01-01"}, "until (2026-01-01) is before since"),
        (EastMoneySpider, {"until": "2026-01-01"}, "until needs since"),
        (FastNewsSpider, {"since": "01/02/2026"}, "since must be a day as YYYY-MM-DD, not '01/02/2026'"),
    ],
)
def test_wrong_arguments_say_which_and_what_is_accepted(spider, args, message):
    with pytest.raises(UsageError, match="^" + re.escape(message)):
        spider.parse_arguments(**args)
    assert spider.parse_arguments(_job="scrapyd-1")  # scrapyd's own argument passes


def project_scrapy_settings(**changes) -> Settings:
    settings = Settings()
    settings.setmodule(defaults)
    settings.update(changes)
    return settings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"FINEWS_LIST_PAGE_SIZE": "abc"}, "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
        ({"FINEWS_LIST_PAGE_SIZE": "500"}, "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
        ({"FINEWS_ARTICLE_URL": "https://x/a/{idd}.html"}, "unknown placeholder {idd}"),
        ({"FINEWS_ARTICLE_URL": "https://x/a/latest.html"}, "{id} is missing"),
        ({"FINEWS_LIST_API_URL": "ftp://x/{column}/{page}"}, "setting FINEWS_LIST_API_URL must be an http(s) URL"),
        ({"FINEWS_MAX_ARTICLE_FAILURE_RATIO": "2"}, "from 0.0 to 1.0"),
        ({"FINEWS_MAX_PARSE_FAILURE_RATIO": "0.5"}, "unknown setting FINEWS_MAX_PARSE_FAILURE_RATIO"),
        ({"FINEWS_FEED": "rss"}, "setting FINEWS_FEED must be one of eastmoney, eastmoney_724"),
    ],
)
def test_wrong_settings_say_which_and_what_is_accepted(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_settings(project_scrapy_settings(**changes))


def test_a_wrong_setting_stops_the_crawl_before_any_request(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", status=2, FINEWS_LIST_PAGE_SIZE="abc")
    finally:
        server.shutdown()
    assert server.requested == [] and "setting FINEWS_LIST_PAGE_SIZE must be" in process.stderr


# --- the exit status tells the truth -----------------------------------------------------------
def test_lists_fine_but_every_article_refused_exits_5(tmp_path):
    server, base_url = serve(faults={r"/a/\d+\.html": ["status:403*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", status=5, RETRY_TIMES=0)
    finally:
        server.shutdown()
    assert "exit status: 5 (too many article pages could not be fetched or parsed" in process.stderr
    assert "dropped: http_403" in process.stderr


def test_robots_txt_forbidding_everything_is_named(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    server, base_url = serve(root, FIXTURE_SITE)
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", status=4, ROBOTSTXT_OBEY=True)
    finally:
        server.shutdown()
    assert "lists failed: robots_txt 1" in process.stderr and "download errors: robots_txt 1" in process.stderr


def test_a_decompression_bomb_is_too_large_and_counted_as_a_download_error(tmp_path):
    root = tmp_path / "site"
    bomb = root / "np-listapi.eastmoney.com/comm/web/getNewsByColumns/350/1.json"
    bomb.parent.mkdir(parents=True)
    bomb.write_bytes(gzip.compress(b" " * 2_000_000))
    server, base_url = serve(root, faults={r"getNewsByColumns": ["header:Content-Encoding=gzip*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350", status=4, DOWNLOAD_MAXSIZE=100_000)
    finally:
        server.shutdown()
    assert "lists failed: too_large 1" in process.stderr and "download errors: too_large 1" in process.stderr


# --- the small ones ----------------------------------------------------------------------------
def test_the_summary_is_shown_at_log_level_warning(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", LOG_LEVEL="WARNING")
    finally:
        server.shutdown()
    assert "new posts:" in process.stderr and "exit status: 0 (ok)" in process.stderr


def test_scrapy_parse_reads_one_article_page(tmp_path):
    article_id = (
        "202112312231871790" if (FIXTURE_SITE / ARTICLE_PATH.format(id="202112312231871790")).exists() else None
    )
    article_id = article_id or next(p.stem for p in (FIXTURE_SITE / "finance.eastmoney.com/a").glob("2*.html"))
    server, base_url = serve()
    try:
        command = scrapy_command("parse", "--spider", "eastmoney", "-c", "parse_article", "--nolog",
                                 f"{base_url}/{ARTICLE_PATH.format(id=article_id)}",
                                 settings={"FINEWS_ARCHIVE_DIR": tmp_path / "archive", "ROBOTSTXT_OBEY": False})  # fmt: skip
        process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"NW{article_id}" in process.stdout and "Scraped Items" in process.stdout


def test_maintain_restores_the_pages_of_moved_posts(tmp_path):
    root = tmp_path / "archive"
    synthesize(tmp_path / "site", 3)
    server, base_url = serve(tmp_path / "site")
    try:
        scrapy_crawl(base_url, root, "categories=350")
    finally:
        server.shutdown()
    for page in (root / "category").iterdir():
        page.unlink()
    command = scrapy_command("archive", "maintain", "--move-older-than", "0", "--fix-categories",
                             settings={"FINEWS_ARCHIVE_DIR": root})  # fmt: skip
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert not list((root / "_posts").glob("*.md")) and list((root / "old_post").glob("*.md"))
    assert len(list((root / "category").iterdir())) >= 1


def test_one_new_post_is_one_new_post():
    from crawler.extensions.progress import progress_text

    assert "1 new post (" in progress_text({"finews/posts/written": 1}, datetime.now(SHANGHAI))
