"""Posts written by the writer threads during a crawl (pipelines/write.py): what the reactor thread keeps.

The crawls of tests/test_end_to_end.py, tests/test_faults.py (SIGKILL, SIGTERM) and tests/test_item_feed.py
write through the threads; here, what needs no running reactor.
"""

import pytest
from scrapy.exceptions import DropItem

from pipelines.write import WritePostPipeline
from tests.conftest import make_article, validated


def test_outside_a_crawl_a_post_is_written_in_the_call(crawler, tmp_path):
    writer = WritePostPipeline.from_crawler(crawler)
    assert writer.writers is None
    writer.process_item(validated(crawler, make_article()))
    assert (tmp_path / "site" / "_posts" / "2021-12-31-NW202112312231871790.md").exists()
    assert crawler.stats.get_value("finews/posts/written") == 1


def test_a_post_being_written_is_a_duplicate_and_nothing_is_counted(crawler, tmp_path):
    writer = WritePostPipeline.from_crawler(crawler)
    writer.open_spider()
    try:
        writer.writing.add("NW202112312231871790")
        with pytest.raises(DropItem, match="duplicate"):
            writer.process_item(validated(crawler, make_article()))
    finally:
        writer.close_spider()
    assert writer.writers is None
    assert not (tmp_path / "site" / "_posts" / "2021-12-31-NW202112312231871790.md").exists()
    assert crawler.stats.get_value("finews/posts/written") is None
    assert crawler.stats.get_value("finews/dropped/duplicate") == 1
