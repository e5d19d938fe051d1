"""Remembered drops: an article dropped for its content is not fetched again, a transient failure is.

The file (`.finews.<feed>.drops`, crawler/drops.py) is hostile input: what cannot be read is
ignored, said once, and never stops a run.
"""

import json
import logging
import os
from datetime import datetime, timedelta

import pytest

from crawler.archive import ARTICLES, layout
from crawler.drops import MASS_DROPS, Drops
from fixtures.testing import ARTICLE_PATH, serve, synthesize
from pipelines import drop
from tests.crawl import scrapy_crawl

KEY = "NW202401011234567890"


def drops_at(tmp_path, **kwargs) -> Drops:
    path = tmp_path / layout.drops_name(ARTICLES.name)
    return Drops(path, ARTICLES.key_pattern, layout.temp_prefix(ARTICLES.name), **kwargs)


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_content_drop_is_remembered_with_its_reason_and_skipped_by_the_next_run(tmp_path):
    drops = drops_at(tmp_path)
    drops.load()
    drops.note(KEY, "no_time", "https://finance.eastmoney.com/a/202401011234567890.html")
    drops.save(requested=1)
    [record] = lines(drops.path)
    assert list(record) == ["key", "reason", "url", "first", "last", "count"]
    assert (record["key"], record["reason"], record["count"]) == (KEY, "no_time", 1)
    later = drops_at(tmp_path)
    later.load()
    first = datetime.fromisoformat(record["first"])
    assert later.skips(KEY) and later.skips(KEY, first + timedelta(minutes=59))  # the next runs ask nothing
    assert not later.skips(KEY, first + timedelta(hours=1))  # then once more (a page blank for a while comes back)
    later.note(KEY, "empty_body")
    later.save(requested=2)
    [record] = lines(drops.path)
    assert (record["reason"], record["count"]) == ("empty_body", 2)
    record["first"] = "2024-01-01T08:00:00+08:00"  # the first drop an hour before the second
    record["last"] = "2024-01-01T09:00:00+08:00"
    drops.path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    confirmed = drops_at(tmp_path)
    confirmed.load()
    at = datetime.fromisoformat("2024-01-02T09:00:00+08:00")
    assert confirmed.skips(KEY, at) and not confirmed.skips("NW202401019999999999", at)
    assert not confirmed.skips(KEY, at + timedelta(days=8))  # expired: fetched once more
    record["first"] = "2024-01-01T08:30:00+08:00"  # two drops within the hour: a passing state
    drops.path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    brief = drops_at(tmp_path)
    brief.load()
    assert not brief.skips(KEY, at)
    drops.path.write_text(json.dumps({**record, "first": "2024-01-01T08:00:00+08:00"}) + "\n", encoding="utf-8")
    retry = drops_at(tmp_path, retry=True)
    retry.load()
    assert not retry.skips(KEY)
    retry.forget(KEY)  # written after a parser fix
    retry.save()
    assert drops.path.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize(
    "reason", ["http_403", "http_503", "http_429", "http_404", "download_error", "too_large", "truncated", "duplicate"]
)
def test_transient_failures_and_other_drops_are_never_remembered(tmp_path, reason):
    drops = drops_at(tmp_path)
    drops.note(KEY, reason)
    drops.save(requested=1)
    assert not drops.path.exists()


def test_a_run_that_changed_nothing_does_not_rewrite_the_file(tmp_path):
    drops = drops_at(tmp_path)
    drops.path.write_text("", encoding="utf-8")
    before = drops.path.stat().st_mtime_ns
    os.utime(drops.path, ns=(0, 0))
    drops.load()
    drops.note(KEY, "http_500")
    drops.save(requested=1)
    assert drops.path.stat().st_mtime_ns == 0 != before


def test_many_content_drops_in_one_run_are_a_broken_site_not_remembered(tmp_path, caplog):
    drops = drops_at(tmp_path)
    for number in range(MASS_DROPS + 1):
        drops.note(f"NW2024010100000000{number:02d}", "no_body")
    drops.save(requested=MASS_DROPS + 1, max_failure_ratio=0.5)
    assert not drops.path.exists()
    assert "Not remembering" in caplog.text


def test_the_file_keeps_its_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setattr("crawler.drops.MAX_DROPS", 2)
    drops = drops_at(tmp_path)
    old = {"reason": "no_time", "url": "", "first": "2020-01-01T00:00:00+08:00", "count": 1}
    drops.path.write_text(
        "".join(
            json.dumps({"key": f"NW20200101000000000{n}", **old, "last": f"2020-01-0{n + 1}T00:00:00+08:00"}) + "\n"
            for n in range(3)
        ),
        encoding="utf-8",
    )
    drops.load()
    drops.note(KEY, "no_body")
    drops.save(requested=1)
    assert [r["key"] for r in lines(drops.path)] == ["NW202001010000000002", KEY]


def test_garbled_lines_are_ignored_and_said_once(tmp_path, caplog):
    drops = drops_at(tmp_path)
    good = {"key": KEY, "reason": "no_time", "url": "", "first": "x", "last": "x", "count": 1}
    garbage = [
        "{not json",
        "[1, 2]",
        json.dumps({**good, "key": "../../etc/passwd"}),
        json.dumps({**good, "reason": "http_503"}),  # a transient failure: never a drop
        json.dumps({**good, "count": True}),
        json.dumps({**good, "extra": 1}),
        "[" * 100_000,
    ]
    drops.path.write_text("\n".join([*garbage, json.dumps(good), ""]), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        drops.load()
    assert set(drops.records) == {KEY}
    assert [r.getMessage() for r in caplog.records] == [f"Remembered drops {drops.path}: 7 unreadable lines ignored"]


@pytest.mark.parametrize("kind", ["symlink", "not_utf8", "huge", "folder"])
def test_an_unreadable_file_is_ignored_said_once_and_replaced_when_the_run_remembers(
    tmp_path, caplog, kind, monkeypatch
):
    drops = drops_at(tmp_path)
    target = tmp_path / "elsewhere.jsonl"
    target.write_text(json.dumps({"key": KEY, "reason": "no_time", "url": "", "first": "x", "last": "x", "count": 1}))
    if kind == "symlink":
        drops.path.symlink_to(target)
    elif kind == "not_utf8":
        drops.path.write_bytes(b"\xff\xfe garbage")
    elif kind == "huge":
        monkeypatch.setattr("crawler.drops.MAX_BYTES", 10)
        drops.path.write_text(target.read_text())
    else:
        drops.path.mkdir()
    with caplog.at_level(logging.WARNING):
        drops.load()
    assert drops.records == {}
    assert len(caplog.records) == 1 and "ignored" in caplog.text
    if kind != "folder":
        drops.note("NW202401010000000001", "no_body")
        drops.save(requested=1)
        assert [r["key"] for r in lines(drops.path)] == ["NW202401010000000001"]
        assert not drops.path.is_symlink() and KEY in target.read_text()  # the link's target is left alone


def test_a_drop_carries_its_reason():
    class Stats:
        def inc_value(self, key):
            self.key = key

    assert drop(Stats(), "too_old", "url").reason == "too_old"


# --- end to end: real `scrapy crawl` runs against a mirror --------------------------------------


def bad_page(root, article_id):
    """Make the article's page one that gives no article (no body): the same at every fetch."""
    (root / ARTICLE_PATH.format(id=article_id)).write_text("<html><body>维护中</body></html>", encoding="utf-8")


def article_requests(server, article_id):
    return [path for path in server.requested if f"/a/{article_id}.html" in path]


@pytest.mark.slow
def test_a_permanently_bad_page_is_not_downloaded_by_the_next_run_and_confirmed_an_hour_later(tmp_path):
    root = tmp_path / "site"
    [article_id] = synthesize(root, 1)
    bad_page(root, article_id)
    archive, report = tmp_path / "archive", tmp_path / "run.json"
    server, base_url = serve(root)
    try:
        scrapy_crawl(base_url, archive, "categories=350", status=5, FINEWS_REPORT_FILE=report)  # as before
        [record] = lines(archive / layout.drops_name(ARTICLES.name))
        assert record["key"] == f"NW{article_id}" and record["reason"] == "no_body"
        assert record["url"] == f"https://finance.eastmoney.com/a/{article_id}.html" and record["count"] == 1
        assert len(article_requests(server, article_id)) == 1

        server.requested.clear()  # the second run downloads nothing and exits 0
        scrapy_crawl(base_url, archive, "categories=350", status=0, FINEWS_REPORT_FILE=report)
        assert article_requests(server, article_id) == []
        run = json.loads(report.read_text(encoding="utf-8"))
        assert run["skipped"] == {"dropped": 1} and run["dropped"] == {}

        path = archive / layout.drops_name(ARTICLES.name)
        hour_ago = lambda time: (datetime.fromisoformat(time) - timedelta(hours=2)).isoformat()  # noqa: E731
        path.write_text(json.dumps({**record, "first": hour_ago(record["first"]), "last": hour_ago(record["last"])}))
        server.requested.clear()  # an hour later: once more; dropped again, it is no failure of this run
        scrapy_crawl(base_url, archive, "categories=350", status=0, FINEWS_REPORT_FILE=report)
        assert len(article_requests(server, article_id)) == 1
        [record] = lines(path)
        assert record["count"] == 2
        assert json.loads(report.read_text(encoding="utf-8"))["dropped"] == {"no_body": 1}

        server.requested.clear()  # confirmed: skipped for a week
        scrapy_crawl(base_url, archive, "categories=350", status=0)
        assert article_requests(server, article_id) == []

        scrapy_crawl(base_url, archive, "categories=350", status=0, FINEWS_RETRY_DROPS="True")
        assert len(article_requests(server, article_id)) == 1
        [record] = lines(path)
        assert record["count"] == 3
    finally:
        server.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["status:503*", "reset*"])  # a server error, a connection reset: each retry
def test_a_transient_failure_is_not_remembered(tmp_path, fault):
    root = tmp_path / "site"
    failing, fine = synthesize(root, 2)
    archive = tmp_path / "archive"
    server, base_url = serve(root, faults={f"/a/{failing}\\.html": [fault]})
    try:
        scrapy_crawl(base_url, archive, "categories=350", RETRY_TIMES=1)
        assert not (archive / layout.drops_name(ARTICLES.name)).exists()
        assert len(article_requests(server, failing)) == 2  # the first try and one retry
        server.requested.clear()
        scrapy_crawl(base_url, archive, "categories=350", RETRY_TIMES=1, status=5)  # its only article failed
        assert len(article_requests(server, failing)) == 2  # fetched again
        assert not (archive / layout.drops_name(ARTICLES.name)).exists()
        assert article_requests(server, fine) == []  # written by the first run
    finally:
        server.shutdown()


@pytest.mark.slow
def test_a_garbled_drops_file_does_not_stop_the_run(tmp_path):
    root = tmp_path / "site"
    ids = synthesize(root, 2)
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / layout.drops_name(ARTICLES.name)).write_bytes(b"\xff\xfe{garbage\n" + b"[" * 100_000)
    server, base_url = serve(root)
    try:
        process = scrapy_crawl(base_url, archive, "categories=350")
    finally:
        server.shutdown()
    assert len(list((archive / layout.POSTS_DIR).glob("*.md"))) == len(ids)
    assert process.stderr.count("Remembered drops") == 1


def test_a_run_whose_every_article_was_dropped_is_a_broken_site_not_remembered(tmp_path):
    """A maintenance page served for every article of a small run: nothing is remembered."""
    drops = drops_at(tmp_path)
    drops.load()
    for n in range(3):
        drops.note(f"NW20240101123456789{n}", "no_body")
    drops.save(requested=3)
    assert not drops.path.exists()


def test_a_url_with_line_separators_keeps_its_record(tmp_path):
    drops = drops_at(tmp_path)
    drops.note(KEY, "no_time", "https://finance.eastmoney.com/a/x\u2028y\u0085z.html")
    drops.save(requested=1)
    again = drops_at(tmp_path)
    again.load()
    assert again.records[KEY]["url"].endswith("x\u2028y\u0085z.html")


def test_a_drops_file_that_was_a_link_is_replaced_by_a_file_of_the_usual_mode(tmp_path):
    drops = drops_at(tmp_path)
    target = tmp_path / "elsewhere"
    target.write_text("")
    drops.path.symlink_to(target)
    drops.note(KEY, "no_time")
    drops.save(requested=1)
    assert not drops.path.is_symlink() and drops.path.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert target.read_text() == ""


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
