"""The post index that workers on several machines share in Redis (setting FINEWS_REDIS_URL).

A worker claims a post key (SET NX with an expiry) before it downloads the article, marks
it done (a SET of keys) once the post is written, and releases the claim when the post will
not be written; a killed worker's claims expire, so another worker or a rerun takes them.
Unset FINEWS_REDIS_URL and nothing here runs: one machine, the archive folder is the index.
The Scrapy side of the distributed mode (shared request queue, idle workers) is
crawler/addons.py and crawler/extensions/shared_work.py.
"""

import os
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


class SharedIndex:
    """Post keys done and claimed by the workers of a distributed crawl, in Redis."""

    def __init__(self, client, prefix: str, claim_ttl: int):
        self.client = client
        self.done_key = f"{prefix}:done"
        self.claim_prefix = f"{prefix}:claim:"
        self.claim_ttl = claim_ttl
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    @classmethod
    def from_settings(cls, settings: "BaseSettings") -> "SharedIndex":
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
