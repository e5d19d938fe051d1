"""One owner for a run's archive (ArchiveRun): the lock, one Archive for spider and pipelines, the claims.

Also: items of any kind with the right fields flow through the pipelines (ItemAdapter), and a
spider with no feed leaves the archive alone.
"""

import pytest
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.archive import ARTICLES, FAST_NEWS, Archive, feed_named
from crawler.extensions.archive_run import archive_run
from crawler.items import FastNews
from crawler.sharedindex import Claim, SharedIndexLost
from crawler.signals import article_failed
from crawler.spiders.eastmoney import EastMoneySpider
from crawler.spiders.eastmoney_724 import FastNewsSpider
from pipelines.dedupe import DedupePipeline
from pipelines.validate import ValidatePipeline
from pipelines.write import WritePostPipeline
from tests.conftest import make_article, project_settings


class FakeSharedIndex:
    """The shared Redis index's interface, in memory: what was claimed, released and done; `lost`
    makes every call fail as a Redis that went away does."""

    def __init__(self, taken_elsewhere=()):
        self.claims, self.finished, self.released = set(), set(), []
        self.elsewhere = set(taken_elsewhere)
        self.lost = False

    def _call(self):
        if self.lost:
            raise SharedIndexLost("the shared Redis at redis://test does not answer: Connection refused")

    def is_done(self, key):
        self._call()
        return key in self.finished

    def claim(self, key):
        self._call()
        if key in self.finished:
            return Claim.DONE
        if key in self.elsewhere:
            return Claim.ELSEWHERE
        self.claims.add(key)
        return Claim.OURS

    def claim_all(self, keys):
        return [self.claim(key) for key in keys]

    def hold(self, key):
        return self.claim(key) == Claim.OURS

    def release(self, key):  # as Redis's: only a claim this worker still holds
        self._call()
        if key in self.claims:
            self.claims.discard(key)
            self.released.append(key)

    def done(self, key):
        self._call()
        self.claims.discard(key)
        self.finished.add(key)


class Engine:
    """The engine, as far as the pipelines and the run use it: asked to stop the run (here: noted)."""

    spider = "open"
    reason = None

    def close_spider_async(self, reason):
        self.reason = reason


def claim(run, key):
    """What the spider does before it asks for an article: claim it (with the request to take it over)."""
    return run.claim_all({key: lambda: None})[0]


def crawler_for(spidercls, tmp_path, **settings):
    crawler = get_crawler(spidercls, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path / "site"), **settings))
    crawler.stats.open_spider()
    return crawler


@pytest.fixture
def distributed(tmp_path):
    """A crawler of `eastmoney` whose archive shares a (fake) index with other workers."""
    crawler = crawler_for(EastMoneySpider, tmp_path)
    run = archive_run(crawler)
    run.archive.shared = FakeSharedIndex(taken_elsewhere={"NW202112312231879999"})
    run.opened = True  # as after spider_opened
    return crawler, run, run.archive.shared


def write_all(crawler, item):
    """The item through validate -> dedupe -> write, with the signal Scrapy sends for the outcome."""
    try:
        for pipeline in (ValidatePipeline, DedupePipeline, WritePostPipeline):
            item = pipeline.from_crawler(crawler).process_item(item)
    except DropItem as exc:
        crawler.signals.send_catch_log(signals.item_dropped, item=item, spider=None, exception=exc)
        return None
    crawler.signals.send_catch_log(signals.item_scraped, item=item, spider=None, response=None)
    return item


def test_the_spider_and_the_pipelines_share_one_archive(tmp_path):
    crawler = crawler_for(EastMoneySpider, tmp_path)
    run = archive_run(crawler)
    assert run.feed is ARTICLES and run.archive.root == (tmp_path / "site").resolve()
    assert DedupePipeline.from_crawler(crawler).archive is run.archive
    assert WritePostPipeline.from_crawler(crawler).archive is run.archive
    assert archive_run(crawler_for(FastNewsSpider, tmp_path)).feed is FAST_NEWS


def test_a_written_post_is_done_for_every_worker(distributed):
    crawler, run, shared = distributed
    assert claim(run, "NW202112312231871790") == Claim.OURS
    assert write_all(crawler, make_article())
    assert shared.finished == {"NW202112312231871790"} and not shared.claims and not run.claimed


def test_an_article_claimed_by_another_worker_is_not_taken(distributed):
    _, run, _ = distributed
    assert claim(run, "NW202112312231879999") == Claim.ELSEWHERE


def test_a_post_another_worker_took_meanwhile_is_not_written(distributed, tmp_path):
    crawler, run, shared = distributed
    claim(run, "NW202112312231871790")
    shared.claims.discard("NW202112312231871790")
    shared.elsewhere.add("NW202112312231871790")  # its claim expired and another worker took it
    assert write_all(crawler, make_article()) is None
    assert crawler.stats.get_value("finews/dropped/claimed_elsewhere") == 1
    assert not (tmp_path / "site/_posts").exists() or not any((tmp_path / "site/_posts").iterdir())


def test_a_lost_redis_writes_nothing_more_and_stops_the_run(distributed, tmp_path):
    crawler, run, shared = distributed
    crawler.engine = Engine()
    claim(run, "NW202112312231871790")
    shared.lost = True
    assert write_all(crawler, make_article()) is None
    assert crawler.stats.get_value("finews/dropped/shared_index_lost") == 1
    assert not list((tmp_path / "site/_posts").glob("*.md"))
    assert crawler.engine.reason == "shared_index_lost" and claim(run, "NW202112312231871791") == Claim.LOST
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="shared_index_lost")
    assert not run.finished_its_plan("finished")


@pytest.mark.parametrize(
    ("article", "reason"),
    [
        (make_article(title=" "), "no_title"),  # invalid: dropped by validation
        (make_article(paragraphs=[]), "empty_body"),
    ],
)
def test_a_dropped_item_releases_its_claim(distributed, article, reason):
    crawler, run, shared = distributed
    claim(run, article.info_code)
    assert write_all(crawler, article) is None
    assert shared.released == [article.info_code] and not shared.claims
    assert crawler.stats.get_value(f"finews/dropped/{reason}") == 1


def test_a_duplicate_is_marked_done_for_every_worker(distributed, tmp_path):
    crawler, run, shared = distributed
    Archive(tmp_path / "site").add_post(make_article().published_at, "NW202112312231871790", "an earlier run's post")
    assert claim(run, "NW202112312231871790") == Claim.OURS  # the shared index had not heard of it
    assert write_all(crawler, make_article(title="again")) is None
    assert shared.finished == {"NW202112312231871790"} and not shared.claims
    assert crawler.stats.get_value("finews/dropped/duplicate") == 1


def test_a_failed_write_releases_its_claim(distributed, tmp_path):
    crawler, run, shared = distributed
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "_posts").write_text("a file where the posts folder should be")
    claim(run, "NW202112312231871790")
    crawler.engine = Engine()
    assert write_all(crawler, make_article()) is None
    assert shared.released == ["NW202112312231871790"] and crawler.engine.reason == "archive_not_writable"


def test_an_article_that_gives_no_item_releases_its_claim_and_is_counted(distributed):
    crawler, run, shared = distributed
    claim(run, "NW202112312231871790")
    crawler.signals.send_catch_log(article_failed, key="NW202112312231871790", reason="http_404")
    assert shared.released == ["NW202112312231871790"]
    assert crawler.stats.get_value("finews/dropped/http_404") == 1


def test_an_item_error_releases_its_claim(distributed):
    crawler, run, shared = distributed
    claim(run, "NW202112312231871790")
    crawler.signals.send_catch_log(signals.item_error, item=make_article(), spider=None, response=None, failure=None)
    assert shared.released == ["NW202112312231871790"]


def test_claims_still_held_when_the_spider_closes_are_released(distributed):
    crawler, run, shared = distributed
    claim(run, "NW202112312231871790")
    claim(run, "NW202112312231871791")
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="shutdown")
    assert sorted(shared.released) == ["NW202112312231871790", "NW202112312231871791"] and not shared.claims


def test_dict_items_with_the_fields_are_written_like_the_dataclasses(tmp_path):
    article = make_article()
    as_dict = {name: getattr(article, name) for name in article.__dataclass_fields__}
    first, second = crawler_for(EastMoneySpider, tmp_path / "a"), crawler_for(EastMoneySpider, tmp_path / "b")
    write_all(first, article)
    write_all(second, as_dict)
    post = "_posts/2021-12-31-NW202112312231871790.md"
    assert (tmp_path / "a/site" / post).read_bytes() == (tmp_path / "b/site" / post).read_bytes()
    incomplete = crawler_for(EastMoneySpider, tmp_path / "c")
    with pytest.raises(DropItem, match="bad_info_code"):
        ValidatePipeline.from_crawler(incomplete).process_item({"title": "no key"})


def test_a_spider_of_another_project_names_its_feed_with_a_setting(tmp_path):
    crawler = crawler_for(Spider, tmp_path, FINEWS_FEED="eastmoney_724")
    news = FastNews(
        article_id="202205302396671645",
        url="https://finance.eastmoney.com/a/202205302396671645.html",
        title="快讯",
        published_at=make_article().published_at,
        summary="摘要",
        paragraphs=[],
    )
    write_all(crawler, {name: getattr(news, name) for name in news.__dataclass_fields__})
    assert (tmp_path / "site/_posts/2021-12-31-202205302396671645.md").exists()
    assert (tmp_path / "site/emnews/index.html").exists()
    with pytest.raises(ValueError, match="unknown feed 'x': use one of eastmoney, eastmoney_724"):
        feed_named("x")


def test_a_spider_without_a_feed_leaves_the_archive_alone(tmp_path):
    crawler = crawler_for(Spider, tmp_path)
    assert archive_run(crawler) is None
    for pipeline in (ValidatePipeline, DedupePipeline, WritePostPipeline):
        with pytest.raises(NotConfigured):
            pipeline.from_crawler(crawler)
