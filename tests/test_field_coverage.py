"""Field coverage and template drift (issue 24): where each field of an article came from, and the alarm.

The parsers say, beside each article, whether its title, time, source, body and stocks came from the
page's own markup, a fallback or nowhere (crawler.items.Provenance); the run report counts it
(`field_coverage`), the archive keeps the last runs' figures (`.finews.<feed>.coverage`, hostile input),
and a run whose page coverage of a field falls far below the usual level, or whose every page failed one
way, logs "template changed: ..." and exits 10.
"""

import dataclasses
import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler import settings as defaults
from crawler import statkeys as keys
from crawler.archive import layout
from crawler.config import check_settings
from crawler.exitstatus import ExitStatus
from crawler.extensions.coverage import (
    HISTORY_MOST_BYTES,
    drift_alarms,
    drifted,
    failure_alarm,
    field_coverage,
    read_history,
    usual_level,
    write_history,
)
from crawler.extensions.summary import exit_status, run_report, summary_text
from crawler.items import COVERED_FIELDS, FALLBACK, MISSING, PAGE, SHANGHAI, Article, FastNews, ListEntry, Provenance
from crawler.parsers import parse_article, parse_article_with_provenance
from crawler.parsers.selectors import TIME_XPATHS, TITLE_XPATHS
from fixtures.testing import ARTICLE_PATH, FIXTURE_SITE, serve, synthesize
from tests.conftest import FIXTURES, project_settings
from tests.crawl import scrapy_crawl

MANIFEST = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
SEED_URL = "https://finance.eastmoney.com/a/202112312231871790.html"
HISTORY = layout.lock_name("eastmoney", layout.COVERAGE_GLOB)


def mirror_page(article: dict) -> str:
    return (FIXTURE_SITE / ARTICLE_PATH.format(id=article["id"])).read_text(encoding="utf-8")


def without_media_name(page: str) -> str:
    """The page without the markup that names its media: the em_media line and the header's source."""
    page = re.sub(r'<p class="em_media">.*?</p>', "", page)
    page = re.sub(r'<div class="item">来源：.*?</div>', "", page)
    return re.sub(r'<div class="source[^"]*"[^>]*>.*?</div>', "", page, flags=re.S)


# --- provenance, from the pure parser ------------------------------------------------------------


@pytest.mark.parametrize("template", ["old", "new"])
def test_every_field_of_a_real_page_comes_from_the_page(template):
    articles = [a for a in MANIFEST["articles"] if a["template"] == template]
    assert len(articles) >= 20
    for article in articles:
        _, provenance = parse_article_with_provenance(mirror_page(article), article["url"])
        tagged = PAGE if article["stocks"] or article["boards"] else MISSING
        assert provenance == Provenance(PAGE, PAGE, PAGE, PAGE, tagged), article["id"]


def test_the_old_template_seed_page():
    page = (FIXTURES / "pages" / "seed-old-template.html").read_text(encoding="utf-8")
    _, provenance = parse_article_with_provenance(page, SEED_URL)
    assert provenance.fields() == dict.fromkeys(("title", "time", "source", "body"), PAGE) | {"stocks": MISSING}


def test_the_template_places_are_the_two_templates_own():
    assert "contentbox" in TITLE_XPATHS[0] and "newsContent" in TITLE_XPATHS[1]
    assert "infos" in TIME_XPATHS[0] and "time-source" in TIME_XPATHS[1]


def test_a_page_that_lost_its_media_name_gets_it_from_the_list_as_a_fallback():
    for article in MANIFEST["articles"][:10]:
        page = without_media_name(mirror_page(article))
        listed = ListEntry(article["id"], title=article["title"], source=article["source"])
        parsed, provenance = parse_article_with_provenance(page, article["url"], listed)
        assert parsed.source == article["source"] and provenance.source == FALLBACK, article["id"]
        assert parse_article_with_provenance(page, article["url"])[1].source == MISSING


def test_title_and_time_from_generic_markup_or_the_list_are_fallbacks():
    article = next(a for a in MANIFEST["articles"] if a["template"] == "new")
    page = mirror_page(article).replace('class="contentbox"', 'class="box2027"').replace('class=" item"', 'class="t"')
    moment = datetime(2022, 1, 21, 18, 5, 7, tzinfo=SHANGHAI)
    listed = ListEntry(article["id"], title="列表标题", published_at=moment)
    parsed, provenance = parse_article_with_provenance(page, article["url"], listed)
    assert (provenance.title, provenance.time) == (FALLBACK, FALLBACK)  # any div.title; the list's time
    assert parsed.published_at == moment and parsed.title == article["title"]


def test_the_page_time_is_looked_at_even_when_the_list_gives_one():
    article = MANIFEST["articles"][0]
    listed = ListEntry(article["id"], published_at=datetime(2022, 1, 1, tzinfo=SHANGHAI))
    assert parse_article_with_provenance(mirror_page(article), article["url"], listed)[1].time == PAGE


def test_stocks_only_from_the_feed_are_a_fallback():
    article = next(a for a in MANIFEST["articles"] if not a["stocks"] and not a["boards"])
    listed = ListEntry(article["id"], secids=("1.600030",))
    parsed, provenance = parse_article_with_provenance(mirror_page(article), article["url"], listed)
    assert provenance.stocks == FALLBACK and [s["secid"] for s in parsed.stocks] == ["1.600030"]


def test_provenance_is_no_field_of_any_item():
    article_fields = ["info_code", "url", "title", "published_at", "source", "paragraphs", "stocks", "boards"]
    assert [f.name for f in dataclasses.fields(Article)] == article_fields  # the documented -O interface
    assert "provenance" not in {f.name for f in dataclasses.fields(FastNews)}
    article = MANIFEST["articles"][3]
    assert (
        parse_article(mirror_page(article), article["url"])
        == parse_article_with_provenance(mirror_page(article), article["url"])[0]
    )


# --- counting: the report's field_coverage --------------------------------------------------------


def coverage_stats(feed: str, counts: dict[str, dict[str, int]]) -> dict:
    return {keys.COVERAGE(f"{feed}/{field}/{origin}"): n for field, by in counts.items() for origin, n in by.items()}


def test_field_coverage_gives_shares_per_feed_and_field():
    stats = coverage_stats("eastmoney", {field: {PAGE: 3, FALLBACK: 1} for field in COVERED_FIELDS})
    stats[keys.COVERAGE("eastmoney/stocks/page")] = 1
    stats[keys.COVERAGE("eastmoney/stocks/missing")] = 2
    stats[keys.COVERAGE("eastmoney/stocks/fallback")] = 1
    coverage = field_coverage(stats)
    assert list(coverage) == ["eastmoney"] and list(coverage["eastmoney"]) == list(COVERED_FIELDS)
    assert coverage["eastmoney"]["title"] == {"page": 0.75, "fallback": 0.25, "missing": 0.0, "items": 4}
    assert coverage["eastmoney"]["stocks"] == {"page": 0.25, "fallback": 0.25, "missing": 0.5, "items": 4}
    assert field_coverage({}) == {} and run_report({}, "eastmoney")["field_coverage"] == {}


# --- the alarm: pure decisions --------------------------------------------------------------------


def runs(*shares: float, field: str = "source") -> list[dict]:
    return [{"finished_at": "", "items": 40, "page": {field: share}} for share in shares]


def test_the_usual_level_is_the_median_of_enough_earlier_runs():
    assert usual_level(runs(1.0, 0.9), "source", 3) is None
    assert usual_level(runs(1.0, 0.2, 0.9, 1.0), "source", 3) == (0.95, 4)
    assert usual_level(runs(1.0, 1.0, 1.0), "title", 3) is None


def test_a_drop_alarms_only_when_it_is_far_and_more_than_chance():
    assert drifted(0.7, 40, 1.0, 0.3) and not drifted(0.71, 40, 1.0, 0.3)
    assert not drifted(0.0, 10, 0.3, 0.3)  # 10 items tagging no stock: 3% of runs by chance
    assert drifted(0.0, 100, 0.3, 0.3)  # 100 such items: a change


def test_drift_alarms_name_the_field_the_shares_and_a_sample():
    coverage = {"source": {"page": 0.5, "fallback": 0.5, "missing": 0.0, "items": 20}}
    samples = {"eastmoney/source": "https://finance.eastmoney.com/a/1.html"}
    (alarm,) = drift_alarms("eastmoney", coverage, runs(1.0, 1.0, 0.9), samples, 10, 3, 0.3)
    assert alarm["message"] == (
        "template changed: eastmoney source came from the page in 50% of 20 items, usually 100% "
        "(median of the last 3 runs); e.g. https://finance.eastmoney.com/a/1.html"
    )
    assert drift_alarms("eastmoney", coverage, runs(1.0, 1.0), samples, 10, 3, 0.3) == []  # no usual level yet
    few = {"source": {**coverage["source"], "items": 9}}
    assert drift_alarms("eastmoney", few, runs(1.0, 1.0, 1.0), samples, 10, 3, 0.3) == []  # too few items


def test_every_page_failing_one_way_alarms():
    stats = {
        keys.ARTICLES_FETCHED: 12,
        keys.UNPARSABLE_BY_REASON("no_body"): 12,
        keys.UNPARSABLE_SAMPLE("no_body"): "http://x/a/1.html",
    }
    alarm = failure_alarm("eastmoney", stats, 10)
    assert alarm["message"] == (
        "template changed: eastmoney every article page failed: no_body (12 of 12 pages); e.g. http://x/a/1.html"
    )
    assert failure_alarm("eastmoney", {**stats, keys.ARTICLES_FETCHED: 13}, 10) is None  # one page was read
    assert failure_alarm("eastmoney", {**stats, keys.UNPARSABLE_BY_REASON("no_time"): 1}, 10) is None
    nine = {**stats, keys.ARTICLES_FETCHED: 9, keys.UNPARSABLE_BY_REASON("no_body"): 9}
    assert failure_alarm("eastmoney", nine, 9) is not None and failure_alarm("eastmoney", nine, 10) is None
    assert failure_alarm("eastmoney", stats, 13) is None


def test_exit_status_10_comes_after_the_run_level_failures_and_before_5():
    alarm = [{"feed": "eastmoney", "field": "source", "message": "template changed: x"}]
    failing = {keys.ARTICLES_REQUESTED: 10, keys.ARTICLES_FAILED: 9, keys.TEMPLATE_CHANGED: alarm}
    assert exit_status(failing, "finished", 0.5) == ExitStatus.TEMPLATE_CHANGED == 10
    assert exit_status(failing, "shutdown", 0.5) == ExitStatus.STOPPED_EARLY
    assert exit_status({**failing, keys.WRITE_ERRORS: 1}, "finished", 0.5) == ExitStatus.NOT_WRITABLE
    assert exit_status({**failing, keys.TEMPLATE_CHANGED: []}, "finished", 0.5) == ExitStatus.TOO_MANY_FAILURES
    report = run_report({**failing, keys.EXIT_STATUS: 10}, "eastmoney")
    assert report["template_changed"][0]["field"] == "source" and report["template_changed"][0]["reason"] is None
    text = summary_text(report)
    assert "  template changed: x" in text.splitlines()
    assert "exit status: 10 (template changed: " in text


def test_the_summary_shows_the_page_shares():
    stats = coverage_stats("eastmoney", {field: {PAGE: 4} for field in COVERED_FIELDS})
    line = "  from the page (eastmoney, 4 items): title 100%, time 100%, source 100%, body 100%, stocks 100%"
    assert line in summary_text(run_report(stats, "eastmoney")).splitlines()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"FINEWS_COVERAGE_HISTORY": "-1"}, "setting FINEWS_COVERAGE_HISTORY must be a whole number from 0 to 1000"),
        ({"FINEWS_COVERAGE_MIN_ITEMS": "0"}, "setting FINEWS_COVERAGE_MIN_ITEMS must be a whole number of 1 or more"),
        ({"FINEWS_COVERAGE_DROP": "0"}, "setting FINEWS_COVERAGE_DROP must be a number from 0.01 to 1.0"),
        ({"FINEWS_COVERAGE_DROP": "nan"}, "setting FINEWS_COVERAGE_DROP must be a number"),
        ({"FINEWS_COVERAGE_MIN_RUNS": "5", "FINEWS_COVERAGE_HISTORY": "4"}, "must be at most FINEWS_COVERAGE_HISTORY"),
    ],
)
def test_coverage_settings_are_checked(settings, message):
    values = Settings({name: getattr(defaults, name) for name in dir(defaults) if name.startswith("FINEWS_")})
    values.update(settings)
    with pytest.raises(ValueError, match=re.escape(message)):
        check_settings(values)


# --- the history file: hostile input ---------------------------------------------------------------


def line(share: float = 1.0, items: int = 20, **more) -> str:
    return json.dumps({"finished_at": "2026-12-01T08:00:00+08:00", "items": items, "page": {"source": share}, **more})


def test_history_keeps_the_last_runs_and_skips_bad_lines(tmp_path):
    path = tmp_path / HISTORY
    bad = [
        "not json",
        "[1, 2]",
        '{"items": 20}',
        line(1.5),
        line(-0.1),
        line(items=0),
        line(items=True),
        '{"items": 20, "page": {"source": NaN}}',
        '{"items": 20, "page": {"source": true}}',
        '{"items": 20, "page": {"colour": 1.0}}',
        line(1.0, note="x" * 5000),
        "[" * 3000,  # nesting deeper than the JSON reader recurses
        "",
    ]
    path.write_text("\n".join([line(0.1), *bad, *(line(share / 10) for share in range(2, 10))]) + "\n")
    history = read_history(path, 5)
    assert [entry["page"]["source"] for entry in history] == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert read_history(tmp_path / "none", 5) == []


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo", "too_large", "not_utf8"])
def test_a_history_that_is_no_regular_file_of_ours_is_ignored_and_never_written_through(tmp_path, kind):
    path = tmp_path / HISTORY
    target = tmp_path / "elsewhere"
    target.write_text(line() + "\n")
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "too_large":
        path.write_text((line() + "\n") * (HISTORY_MOST_BYTES // len(line()) + 1))
    else:
        path.write_bytes(b"\xff\xfe" + line().encode())
    assert read_history(path, 20) == []
    if kind in ("symlink", "folder", "fifo"):
        with pytest.raises(OSError, match="not a regular file"):
            write_history(path, [json.loads(line(0.5))], ".finews-eastmoney-")
        assert target.read_text() == line() + "\n"  # the link's target is untouched
    else:  # a file of ours gone bad is replaced
        write_history(path, [json.loads(line(0.5))], ".finews-eastmoney-")
        assert [entry["page"]["source"] for entry in read_history(path, 20)] == [0.5]
    assert not list(tmp_path.glob(".finews-*.tmp"))


# --- end to end: real crawls of a served mirror ----------------------------------------------------


def run_report_of(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_report_gives_the_field_coverage_of_a_mirror_crawl(tmp_path):
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, tmp_path / "archive", FINEWS_REPORT_FILE=tmp_path / "report.json")
    finally:
        server.shutdown()
    report = run_report_of(tmp_path / "report.json")
    coverage = report["field_coverage"]["eastmoney"]
    items = report["articles_fetched"]
    assert items >= 40 and report["template_changed"] == [] and report["exit_status"] == 0
    for field in ("title", "time", "source", "body"):
        assert coverage[field] == {"page": 1.0, "fallback": 0.0, "missing": 0.0, "items": items}, field
    assert 0 < coverage["stocks"]["page"] < 1 and coverage["stocks"]["fallback"] == 0.0
    history = read_history(tmp_path / "archive" / HISTORY, 20)
    assert len(history) == 1 and history[0]["items"] == items and history[0]["page"]["source"] == 1.0


@pytest.mark.slow
def test_a_mirror_whose_template_changes_mid_backfill_raises_the_drift_alarm(tmp_path):
    root, archive, report = tmp_path / "site", tmp_path / "archive", tmp_path / "report.json"
    ids = synthesize(root, 24)
    server, base_url = serve(root)
    try:
        for _ in range(3):  # the usual level: three runs of 24 pages that name their media
            scrapy_crawl(base_url, archive, "categories=350", "since=2016-01-01")
            shutil.rmtree(archive / "_posts")  # the next run fetches them again
        assert len(read_history(archive / HISTORY, 20)) == 3
        changed = ids[:12]  # the newest half of the list: East Money dropped the media-name markup
        for article_id in changed:
            page = root / ARTICLE_PATH.format(id=article_id)
            page.write_text(without_media_name(page.read_text(encoding="utf-8")), encoding="utf-8")
        for _ in range(2):  # the alarm run joins no history: the change keeps alarming
            process = scrapy_crawl(
                base_url, archive, "categories=350", "since=2016-01-01", status=10, FINEWS_REPORT_FILE=report
            )
            shutil.rmtree(archive / "_posts")
            alarm = re.search(r"ERROR: (template changed: .*)", process.stderr)
            assert alarm, process.stderr[-3000:]
            sample = re.search(r"e\.g\. https://finance\.eastmoney\.com/a/(\d+)\.html$", alarm[1])
            assert alarm[1].startswith(
                "template changed: eastmoney source came from the page in 50% of 24 items, usually 100% "
                "(median of the last 3 runs); e.g. "
            )
            assert sample and sample[1] in changed
            assert "exit status: 10 (template changed:" in process.stderr
            (reported,) = run_report_of(report)["template_changed"]
            assert reported["field"] == "source" and reported["share"] == 0.5 and reported["usual"] == 1.0
            assert len(read_history(archive / HISTORY, 20)) == 3
    finally:
        server.shutdown()


@pytest.mark.slow
def test_every_page_failing_the_same_way_raises_the_alarm(tmp_path):
    root = tmp_path / "site"
    ids = synthesize(root, 12)
    for article_id in ids:  # the body moved to a container the parser does not know
        page = root / ARTICLE_PATH.format(id=article_id)
        page.write_text(page.read_text(encoding="utf-8").replace('id="ContentBody"', 'id="ArticleBody"'))
    server, base_url = serve(root)
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350", status=10)
    finally:
        server.shutdown()
    assert re.search(
        r"ERROR: template changed: eastmoney every article page failed: no_body \(12 of 12 pages\); "
        r"e\.g\. http://127\.0\.0\.1:\d+/finance\.eastmoney\.com/a/\d+\.html\n",
        process.stderr,
    )
    assert not (tmp_path / "archive" / HISTORY).exists()


@pytest.mark.slow
def test_7x24_items_whose_page_could_not_be_downloaded_say_nothing_of_the_template(tmp_path):
    """An outage of the article pages (posted from their summary) is exit 5, never a template change."""
    server, base_url = serve(faults={r"/a/\d+\.html": ["status:404*"]})
    report = tmp_path / "report.json"
    try:
        process = scrapy_crawl(
            base_url, tmp_path / "archive", spider="eastmoney_724", status=5, RETRY_TIMES=0, FINEWS_REPORT_FILE=report
        )
    finally:
        server.shutdown()
    assert run_report_of(report)["summary_only"]["http_404"] > 0
    assert run_report_of(report)["field_coverage"] == {}
    assert "template changed" not in process.stderr


def test_a_7x24_page_read_but_unparsable_counts_as_missing_body_and_source():
    from crawler.spiders.eastmoney_724 import FastNewsSpider

    crawler = get_crawler(FastNewsSpider, project_settings())
    crawler.stats.open_spider()
    spider = FastNewsSpider.from_crawler(crawler)
    entry = ListEntry("202608173841369652", title="标题", published_at=datetime(2026, 8, 17, 9, 0, tzinfo=SHANGHAI))
    spider.from_summary(entry, "http_503")  # not downloaded: not counted
    assert field_coverage(crawler.stats.get_stats()) == {}
    spider.from_summary(entry, "no_body", page_read=True)
    coverage = field_coverage(crawler.stats.get_stats())["eastmoney_724"]
    assert coverage["body"]["missing"] == coverage["source"]["missing"] == 1.0
    assert coverage["title"]["fallback"] == coverage["time"]["fallback"] == 1.0


def test_a_page_read_without_its_body_counts_as_body_missing():
    """The body moved to a new container: the page parses no more, and the body's share of the page falls."""
    from scrapy.http import HtmlResponse

    from crawler.spiders.eastmoney import EastMoneySpider

    crawler = get_crawler(EastMoneySpider, project_settings())
    crawler.stats.open_spider()
    spider = EastMoneySpider.from_crawler(crawler)
    url = "https://finance.eastmoney.com/a/202601011234567890.html"
    page = "<html><body><div class='newbody'><p>正文</p></div></body></html>".encode()
    response = HtmlResponse(url, body=page, encoding="utf-8")
    assert list(spider.parse_article(response, ListEntry("202601011234567890"))) == []
    coverage = field_coverage(crawler.stats.get_stats())["eastmoney"]
    assert coverage["body"] == {"page": 0.0, "fallback": 0.0, "missing": 1.0, "items": 1}
    assert keys.COVERAGE_SAMPLE.read(crawler.stats.get_stats())["eastmoney/body"] == url
