"""Crawling on several machines that share one Redis (setting FINEWS_REDIS_URL).

`RedisAddon` switches Scrapy to scrapy-redis's shared scheduler queue and request dupefilter,
persisted so that a run continues the one before. `SharedIndex` is the infoCode dedupe the
workers share: a worker claims a post key (SET NX with an expiry) before it downloads the
article, marks it done (a SET of keys) once the post is written, and releases the claim if
the article fails; a killed worker's claims expire, so another worker or a rerun takes them.
Unset FINEWS_REDIS_URL and nothing here runs: one machine, the archive folder is the index.
"""

import os
import socket
import subprocess
import time
from collections.abc import Iterable
from contextlib import contextmanager

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

CLAIM_TTL_SECONDS = 600  # default FINEWS_REDIS_CLAIM_TTL: longer than any one article's download
POLL_SECONDS = 0.2  # how often an idle worker looks at the shared queue


class RedisAddon:
    """Scrapy add-on: scrapy-redis scheduler and dupefilter when FINEWS_REDIS_URL is set."""

    def update_settings(self, settings) -> None:
        url = settings.get("FINEWS_REDIS_URL")
        if not url:
            return
        settings.set("REDIS_URL", url, "addon")
        settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")  # else the dupefilter is deleted when a run closes
        settings.set("SCHEDULER_QUEUE_KEY", f"{settings.get('FINEWS_REDIS_PREFIX')}:%(spider)s:requests", "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{settings.get('FINEWS_REDIS_PREFIX')}:%(spider)s:dupefilter", "addon")
        settings["EXTENSIONS"] = {**settings.getdict("EXTENSIONS"), "crawler.distributed.WaitForSharedWork": 600}


class WaitForSharedWork:
    """Keeps an idle worker open while others may still push work into the shared queue.

    A worker is idle when its own requests are done, but other workers may be parsing list
    pages whose articles will land in the shared queue: while that queue is not empty or any
    worker holds a claim, the worker stays (up to FINEWS_REDIS_IDLE_WAIT seconds of idleness),
    then stops on its own (scrapy-redis's own spiders would wait forever).
    """

    def __init__(self, crawler):
        import redis

        settings = crawler.settings
        self.crawler = crawler
        self.client = redis.Redis.from_url(settings["FINEWS_REDIS_URL"])
        self.prefix = settings.get("FINEWS_REDIS_PREFIX")
        self.max_wait = settings.getfloat("FINEWS_REDIS_IDLE_WAIT")
        self.idle_since: float | None = None
        self.responses_seen = 0
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_idle(self, spider):
        responses = self.crawler.stats.get_value("response_received_count", 0)
        if responses != self.responses_seen:  # it worked since it was last idle
            self.responses_seen, self.idle_since = responses, None
        queued = self.client.exists(f"{self.prefix}:{spider.name}:requests")
        claimed = next(self.client.scan_iter(match=f"{self.prefix}:claim:*", count=1000), None)
        if not (queued or claimed):
            return
        self.idle_since = self.idle_since or time.monotonic()
        if time.monotonic() - self.idle_since < self.max_wait:
            # Look at the shared queue again soon, not at Scrapy's 5 s engine heartbeat: other
            # workers are filling it. (The engine's slot has no public way to ask for this.)
            self.crawler.engine._slot.nextcall.schedule(POLL_SECONDS)
            raise DontCloseSpider


class SharedIndex:
    """Post keys done and claimed by the workers of a distributed crawl, in Redis."""

    def __init__(self, client, prefix: str = "finews", claim_ttl: int = CLAIM_TTL_SECONDS):
        self.client = client
        self.done_key = f"{prefix}:done"
        self.claim_prefix = f"{prefix}:claim:"
        self.claim_ttl = claim_ttl
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    @classmethod
    def from_settings(cls, settings) -> "SharedIndex":
        import redis  # scrapy-redis's dependency: only needed on this path

        client = redis.Redis.from_url(settings["FINEWS_REDIS_URL"], decode_responses=True)
        return cls(client, settings.get("FINEWS_REDIS_PREFIX"), settings.getint("FINEWS_REDIS_CLAIM_TTL"))

    def is_done(self, key: str) -> bool:
        return bool(self.client.sismember(self.done_key, key))

    def claim(self, key: str) -> bool:
        """Take `key` for this worker (or keep it, if it is already ours); False when another
        worker holds it or it is done."""
        if self.is_done(key):
            return False
        if self.client.set(self.claim_prefix + key, self.worker, nx=True, ex=self.claim_ttl):
            return True
        return self.client.get(self.claim_prefix + key) == self.worker

    def done(self, key: str) -> None:
        """The post is written: known to every worker from now on."""
        self.client.pipeline().sadd(self.done_key, key).delete(self.claim_prefix + key).execute()

    def release(self, key: str) -> None:
        """The article failed here: let another worker (or a later run) try it."""
        if self.client.get(self.claim_prefix + key) == self.worker:
            self.client.delete(self.claim_prefix + key)

    def seed(self, keys: Iterable[str], batch: int = 10_000) -> int:
        """Mark existing posts done (from an archive folder); returns how many were new to Redis."""
        added, chunk = 0, []
        for key in keys:
            chunk.append(key)
            if len(chunk) == batch:
                added += self.client.sadd(self.done_key, *chunk)
                chunk = []
        if chunk:
            added += self.client.sadd(self.done_key, *chunk)
        return added


@contextmanager
def local_redis_server(folder, executable: str = "redis-server"):
    """A throwaway redis-server on a free loopback port (for tests and benchmarks); yields its URL."""
    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        client = redis.Redis(port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
