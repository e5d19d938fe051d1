"""The item pipelines, validate -> dedupe -> write: what reaches the archive, and why the rest is dropped.

Characters that cannot or should not be shown are removed before anything is written; an item
left with nothing to show, or already in the archive, is dropped with its reason; a post the file
system refuses is one dropped item, while an archive that cannot be written stops the run.
"""

import errno
import os
from datetime import datetime, timedelta

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.archive import Archive
from crawler.extensions.archive_run import archive_run
from crawler.items import SHANGHAI
from crawler.spiders.eastmoney import EastMoneySpider
from pipelines.dedupe import DedupePipeline
from pipelines.validate import ValidatePipeline
from pipelines.write import WritePostPipeline
from tests.conftest import make_article, project_settings, validated
from tests.conftest import make_article as article


def run_pipelines(crawler, item):
    for pipeline in (ValidatePipeline, DedupePipeline, WritePostPipeline):
        item = pipeline.from_crawler(crawler).process_item(item)
    return item


def test_pipelines_write_post_and_category_page(crawler, tmp_path):
    run_pipelines(crawler, article())
    site = tmp_path / "site"
    post = site / "_posts" / "2021-12-31-NW202112312231871790.md"
    assert post.read_text(encoding="utf-8").startswith('---\nlayout: post\ntitle: "标题"\n')
    assert (site / "category" / "zhongguozhengquanbao·zhongzhengwang.html").exists()
    stats = crawler.stats.get_stats()
    assert stats["finews/posts/written"] == 1 and stats["finews/categories/created"] == 1
    assert "NW202112312231871790" in archive_run(crawler).archive


def test_category_page_is_not_rewritten(crawler, tmp_path):
    page = tmp_path / "site" / "category" / "zhongguozhengquanbao·zhongzhengwang.html"
    page.parent.mkdir(parents=True)
    page.write_text("customised by the site owner")
    run_pipelines(crawler, article())
    assert page.read_text() == "customised by the site owner"


def test_duplicates_within_run_and_across_runs(crawler, tmp_path):
    run_pipelines(crawler, article())
    with pytest.raises(DropItem):
        run_pipelines(crawler, article(title="again"))
    fresh = get_crawler(EastMoneySpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path / "site")))
    fresh.stats.open_spider()
    with pytest.raises(DropItem, match="duplicate"):
        DedupePipeline.from_crawler(fresh).process_item(article())
    assert fresh.stats.get_value("finews/dropped/duplicate") == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"info_code": "NW../../x"}, "bad_info_code"),
        ({"title": "  "}, "no_title"),
        ({"published_at": datetime(2021, 12, 31)}, "no_time"),
        ({"published_at": datetime.now(SHANGHAI) + timedelta(days=2)}, "future_time"),
        ({"source": ""}, "no_source"),
        ({"source": "/"}, "no_source"),
        ({"paragraphs": []}, "empty_body"),
    ],
)
def test_validate_drops_with_reason(crawler, changes, reason):
    with pytest.raises(DropItem, match=reason):
        ValidatePipeline.from_crawler(crawler).process_item(article(**changes))
    assert crawler.stats.get_value(f"finews/dropped/{reason}") == 1


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
