"""The post index that workers on several machines share in Redis (setting FINEWS_REDIS_URL).

Each worker reads the news lists itself and asks only for the articles it claimed:
- claim: before an article is requested, SET NX with an expiry (FINEWS_REDIS_CLAIM_TTL);
- hold: just before its post is written, the claim is checked to be this worker's and made
  permanent, so that no other worker takes the article while the file is being written;
- done: once written, the key joins the done set and the claim goes;
- release: an article that will not be written here goes back to the others.
A worker's name is stable across runs (host, archive folder, feed), so a rerun settles what a
stopped run left: claims of posts it wrote become done, the others are released.

Every call checks that the index is still there (the key <prefix>:epoch, made by
`scrapy seed_redis`): a Redis that was flushed or restarted without its data has none, and
answers like a new one would, so a worker that went on would write what others wrote. Any
Redis error (refused, reset, timeout, credentials) or a missing epoch raises SharedIndexLost,
and every later call raises it too: the run stops (exit status 8) and never writes a post it
holds no claim for. Unset FINEWS_REDIS_URL and nothing here runs: one machine, the archive
folder is the index.
"""

import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


class Claim(IntEnum):
    """What asking for a claim answers (the scripts below return these numbers)."""

    LOST = -1  # no index: Redis lost its data
    DONE = 0  # some worker wrote the post
    OURS = 1  # this worker holds it
    ELSEWHERE = 2  # another worker holds it


LOST, DONE, OURS = Claim.LOST, Claim.DONE, Claim.OURS

# KEYS: epoch, done set, the key's claim; ARGV: the post key, this worker, claim seconds (0: no expiry).
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[2] then return 2 end
if ARGV[3] == '0' then redis.call('SET', KEYS[3], ARGV[2]) else redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3]) end
return 1
"""
_DONE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 0
"""
_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 0
"""


class SharedIndexLost(Exception):
    """The shared Redis cannot be used, or lost its data: the run stops (exit status 8)."""


def _client(url: str, timeout: float):
    """A redis-py client of `url` (the `distributed` extra; nothing is sent yet)."""
    try:
        import redis
    except ImportError:
        raise SharedIndexLost(
            "cannot be used: FINEWS_REDIS_URL needs the distributed extra (redis missing): "
            "pip install 'finews-crawler[distributed]'"
        ) from None
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout)


def shown_url(url: str) -> str:
    """A Redis URL to show: no user:password@, no query (redis-py also takes ?password=...)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1], query="", fragment="").geturl()


def archive_worker(root: str, feed: str) -> str:
    """The stable name of the worker that writes `feed` into the archive folder `root` on this host."""
    return f"{socket.gethostname()}:{root}:{feed}"


class SharedIndex:
    """Post keys done and claimed by the workers of a distributed crawl, in Redis."""

    def __init__(self, url: str, prefix: str, claim_ttl: int, worker: str, timeout: float = 10.0, client=None):
        self.epoch_key = f"{prefix}:epoch"
        self.done_key = f"{prefix}:done"
        self.claim_prefix = f"{prefix}:claim:"
        self.claim_ttl = claim_ttl
        self.worker = worker
        self.url = shown_url(url)
        self.lost: SharedIndexLost | None = None  # once lost, every call raises it
        self._connect = lambda: client or _client(url, timeout)
        self.client = None  # connected at the first call
        self._scripts: dict = {}

    @classmethod
    def from_settings(cls, settings: "BaseSettings", worker: str) -> "SharedIndex":
        return cls(settings["FINEWS_REDIS_URL"], settings.get("FINEWS_REDIS_PREFIX"),
                   settings.getint("FINEWS_REDIS_CLAIM_TTL"), worker, settings.getfloat("FINEWS_REDIS_TIMEOUT"))  # fmt: skip

    # --- calls ---------------------------------------------------------------------------------
    def _redis(self, call, *args, **kwargs):
        """One Redis call: the client's method named `call`, or `call(client)`; SharedIndexLost (kept for
        every later call) when Redis fails or lost its data."""
        if self.lost is not None:
            raise self.lost
        if self.client is None:
            try:
                self.client = self._connect()
            except SharedIndexLost as exc:
                self.lost = exc
                raise
            self._scripts = {name: self.client.register_script(text) for name, text in
                             (("claim", _CLAIM), ("done", _DONE), ("release", _RELEASE))}  # fmt: skip
        import redis

        try:
            answer = getattr(self.client, call)(*args, **kwargs) if isinstance(call, str) else call(self.client)
        except redis.RedisError as exc:
            self._lose(f"does not answer: {' '.join(str(exc).split()) or type(exc).__name__}")
        if answer == LOST:
            self._lose("lost its data (no finews index: flushed, restarted empty or evicted); "
                       "run `scrapy seed_redis` with every worker's archive, then crawl again")  # fmt: skip
        return answer

    def _lose(self, what: str):
        self.lost = SharedIndexLost(f"the shared Redis at {self.url} {what}")
        raise self.lost

    def _script(self, name: str, key: str, ttl: int | None = None) -> int:
        keys = [self.epoch_key, self.done_key, self.claim_prefix + key]
        return self._redis(lambda _client: self._scripts[name](keys=keys, args=[key, self.worker, ttl or 0]))

    # --- what a worker does --------------------------------------------------------------------
    def open(self, known: Iterable[str]) -> None:
        """At the start of a run: check the index is there, then settle what this worker's last run
        left (its posts marked done, its other claims released)."""
        if not self._redis("exists", self.epoch_key):
            self._lose("holds no finews index (new, flushed or restarted empty): "
                       "run `scrapy seed_redis` with every worker's archive, then crawl again")  # fmt: skip
        self.settle(set(known), lambda holder: holder == self.worker)

    def claim(self, key: str) -> Claim:
        """Take `key` for this worker before it is requested: OURS, DONE (some worker wrote it) or
        ELSEWHERE (another worker holds it)."""
        return Claim(self._script("claim", key, self.claim_ttl))

    def hold(self, key: str) -> bool:
        """Just before the post is written: True when the claim is (still, or again) this worker's, and
        then kept without expiry until done(); False when another worker has it or wrote it."""
        return self._script("claim", key) == OURS

    def done(self, key: str) -> None:
        """The post is written: known to every worker from now on."""
        self._script("done", key)

    def release(self, key: str) -> None:
        """The article will not be written here: let another worker (or a later run) try it."""
        self._script("release", key)

    def is_done(self, key: str) -> bool:
        """Whether some worker wrote the post."""
        return bool(self._redis("sismember", self.done_key, key))

    # --- keeping the index whole ---------------------------------------------------------------
    def settle(self, known: set[str], mine: Callable[[str], bool]) -> tuple[int, int]:
        """Claims whose holder `mine(holder)` accepts: done when the post is in `known`, else released.
        Returns (marked done, released)."""
        settled = [0, 0]
        names = self._redis(lambda client: list(client.scan_iter(match=self.claim_prefix + "*", count=1000)))
        for name in names:
            holder = self._redis("get", name)
            if holder is None or not mine(holder):
                continue
            key = name[len(self.claim_prefix) :]
            if key in known:
                self._script("done", key)
            else:
                self._redis("delete", name)
            settled[key not in known] += 1
        return settled[0], settled[1]

    def seed(self, keys: Iterable[str], batch: int = 10_000) -> int:
        """Mark existing posts done (from an archive folder) and make the index usable (its epoch);
        returns how many keys were new to Redis."""
        added, chunk = 0, []
        for key in keys:
            chunk.append(key)
            if len(chunk) == batch:
                added += self._redis("sadd", self.done_key, *chunk)
                chunk = []
        if chunk:
            added += self._redis("sadd", self.done_key, *chunk)
        self._redis("set", self.epoch_key, datetime.now(UTC).isoformat(), nx=True)
        return added

    def eviction_warning(self) -> str | None:
        """A warning when Redis would evict keys (the done set, claims, the epoch) under memory pressure;
        None when it would not, or does not say (CONFIG is off on some services)."""
        import redis

        try:
            config = self._connect().config_get("maxmemory*")
        except (redis.RedisError, SharedIndexLost):
            return None
        policy = config.get("maxmemory-policy", "noeviction")
        if policy == "noeviction" or config.get("maxmemory", "0") == "0":
            return None
        return (f"the shared Redis at {self.url} evicts keys under memory pressure ({policy}): "
                "a lost done set means posts written twice; set maxmemory-policy noeviction")  # fmt: skip

    def done_keys(self) -> set[str]:
        """Every key of the done set (for checks and tests)."""
        return set(self._redis("smembers", self.done_key))
