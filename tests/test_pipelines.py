"""Archive index, atomic writes and the validate -> dedupe -> write pipelines."""

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
from tests.conftest import make_article as article
from tests.conftest import project_settings


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(EastMoneySpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path / "site")))
    crawler.stats.open_spider()
    return crawler


def run_pipelines(crawler, item):
    for pipeline in (ValidatePipeline, DedupePipeline, WritePostPipeline):
        item = pipeline.from_crawler(crawler).process_item(item)
    return item


def test_index_reads_posts_and_old_posts(tmp_path):
    (tmp_path / "_posts" / "2022").mkdir(parents=True)
    (tmp_path / "_posts" / "2022" / "2022-01-21-NW202201212257099936.md").write_text("x")
    (tmp_path / "_posts" / "2022-05-30-202205302396671645.md").write_text("x")
    (tmp_path / "_posts" / "notes.md").write_text("x")
    (tmp_path / "old_post").mkdir()
    (tmp_path / "old_post" / "2019-01-07-NW201901071021057779.md").write_text("x")
    archive = Archive(tmp_path)
    assert archive.known == {"NW202201212257099936", "202205302396671645", "NW201901071021057779"}
    assert "NW201901071021057779" in archive


def test_post_path_is_safe(tmp_path):
    archive = Archive(tmp_path)
    day = datetime(2021, 12, 31, 23, 30, tzinfo=SHANGHAI)
    assert archive.post_path(day.astimezone(SHANGHAI), "NW1").name == "2021-12-31-NW1.md"
    assert (
        archive.post_path(datetime(2021, 12, 31, 16, 30, tzinfo=SHANGHAI).astimezone(tz=None), "NW1").parent
        == archive.posts_dir
    )
    for key in ("../../etc/passwd", "NW1/x", "", "a b"):
        with pytest.raises(ValueError):
            archive.post_path(day, key)
    with pytest.raises(ValueError):
        archive.write(tmp_path.parent / "outside.md", "x")


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path, monkeypatch):
    archive = Archive(tmp_path)
    target = tmp_path / "_posts" / "2021-12-31-NW1.md"
    archive.write(target, "first")

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError):
        archive.write(target, "second")
    assert target.read_text() == "first"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


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
