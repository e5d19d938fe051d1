"""One owner for a run's archive (ArchiveRun): the lock, one Archive for spider and pipelines, the claims.

Also: items of any kind with the right fields flow through the pipelines (ItemAdapter), a
spider with no feed leaves the archive alone, and the one private Scrapy API the project
uses is still where it was.
"""

import subprocess

import pytest
import scrapy
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.archive import ARTICLES, FAST_NEWS, Archive, feed_named
from crawler.extensions.archive_run import archive_run
from crawler.extensions.shared_work import CHECKED_ON_SCRAPY
from crawler.items import FastNews
from crawler.signals import article_failed
from crawler.spiders.eastmoney import EastMoneySpider
from crawler.spiders.eastmoney_724 import FastNewsSpider
from fixtures.testing import scrapy_command
from pipelines.dedupe import DedupePipeline
from pipelines.validate import ValidatePipeline
from pipelines.write import WritePostPipeline
from tests.conftest import REPO, make_article, project_settings


class FakeSharedIndex:
    """The shared Redis index's interface, in memory: what was claimed, released and done."""

    def __init__(self, taken_elsewhere=()):
        self.claims, self.finished, self.released = set(), set(), []
        self.elsewhere = set(taken_elsewhere)

    def is_done(self, key):
        return key in self.finished

    def claim(self, key):
        if key in self.finished or key in self.elsewhere:
            return False
        self.claims.add(key)
        return True

    def release(self, key):  # as Redis's: only a claim this worker still holds
        if key in self.claims:
            self.claims.discard(key)
            self.released.append(key)

    def done(self, key):
        self.claims.discard(key)
        self.finished.add(key)


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
    assert run.claim("NW202112312231871790")
    assert write_all(crawler, make_article())
    assert shared.finished == {"NW202112312231871790"} and not shared.claims and not run.claimed


def test_an_article_claimed_by_another_worker_is_not_taken(distributed):
    _, run, _ = distributed
    assert not run.claim("NW202112312231879999")


@pytest.mark.parametrize(
    ("article", "reason"),
    [
        (make_article(title=" "), "no_title"),  # invalid: dropped by validation
        (make_article(paragraphs=[]), "empty_body"),
    ],
)
def test_a_dropped_item_releases_its_claim(distributed, article, reason):
    crawler, run, shared = distributed
    run.claim(article.info_code)
    assert write_all(crawler, article) is None
    assert shared.released == [article.info_code] and not shared.claims
    assert crawler.stats.get_value(f"finews/dropped/{reason}") == 1


def test_a_duplicate_releases_its_claim(distributed, tmp_path):
    crawler, run, shared = distributed
    Archive(tmp_path / "site").add_post(make_article().published_at, "NW202112312231871790", "an earlier run's post")
    assert run.claim("NW202112312231871790")  # the shared index had not heard of it
    assert write_all(crawler, make_article(title="again")) is None
    assert shared.released == ["NW202112312231871790"]
    assert crawler.stats.get_value("finews/dropped/duplicate") == 1


def test_a_failed_write_releases_its_claim(distributed, tmp_path):
    crawler, run, shared = distributed
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "_posts").write_text("a file where the posts folder should be")
    run.claim("NW202112312231871790")

    class Engine:  # the writer asks the engine to stop the run (here: just noted)
        def close_spider_async(self, reason):
            self.reason = reason

    crawler.engine = Engine()
    assert write_all(crawler, make_article()) is None
    assert shared.released == ["NW202112312231871790"] and crawler.engine.reason == "archive_not_writable"


def test_an_article_that_gives_no_item_releases_its_claim_and_is_counted(distributed):
    crawler, run, shared = distributed
    run.claim("NW202112312231871790")
    crawler.signals.send_catch_log(article_failed, key="NW202112312231871790", reason="http_404")
    assert shared.released == ["NW202112312231871790"]
    assert crawler.stats.get_value("finews/dropped/http_404") == 1


def test_an_item_error_releases_its_claim(distributed):
    crawler, run, shared = distributed
    run.claim("NW202112312231871790")
    crawler.signals.send_catch_log(signals.item_error, item=make_article(), spider=None, response=None, failure=None)
    assert shared.released == ["NW202112312231871790"]


def test_claims_still_held_when_the_spider_closes_are_released(distributed):
    crawler, run, shared = distributed
    run.claim("NW202112312231871790")
    run.claim("NW202112312231871791")
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


def test_scrapy_fetch_writes_nothing_into_the_archive(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>x</body></html>")
    archive = tmp_path / "archive"
    command = scrapy_command("fetch", "--nolog", page.as_uri(), settings={"FINEWS_ARCHIVE_DIR": archive})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    assert not archive.exists()


PROBE_SPIDER = """
import scrapy
from scrapy import signals
from crawler.extensions.shared_work import wake_engine_soon


class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        return
        yield

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    def idle(self):
        try:
            wake_engine_soon(self.crawler, 0.01)
            result = "ok"
        except Exception as exc:
            result = repr(exc)
        with open({out!r}, "w") as out:
            out.write(result)
"""


def test_the_one_private_scrapy_api_is_still_there(tmp_path):
    """wake_engine_soon() reaches into Scrapy's engine: this fails loudly when a release moves it."""
    assert ".".join(scrapy.__version__.split(".")[:2]) in CHECKED_ON_SCRAPY, (
        f"Scrapy {scrapy.__version__}: check wake_engine_soon() on it, then add it to CHECKED_ON_SCRAPY"
    )
    out = tmp_path / "result"
    (tmp_path / "probe.py").write_text(PROBE_SPIDER.replace("{out!r}", repr(str(out))))
    command = scrapy_command("runspider", str(tmp_path / "probe.py"), "--nolog")
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    assert out.read_text() == "ok"
