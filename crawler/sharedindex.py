"""The post index that workers on several machines share in Redis (setting FINEWS_REDIS_URL).

Each worker reads the news lists itself and asks only for the articles it claimed:
- claim: before an article is requested, SET with an expiry (FINEWS_REDIS_CLAIM_TTL) unless
  some worker wrote it or holds it; a list page's entries are claimed in one round trip;
- hold: just before its post is written, the claim is checked to be this worker's and kept
  without expiry, so that no other worker takes the article while the file is being written;
- done: once written, the key joins the done set and the claim goes;
- release: an article that will not be written here goes back to the others.
A worker is named by the random id its archive keeps for the feed (Archive.worker_id), so a
rerun settles what a stopped run left: claims of posts it wrote become done, others released.

The index is valid for one life of one Redis: `scrapy seed_redis` writes the key <prefix>:epoch,
"<Redis run_id> <random>". A worker reads it when it starts, refuses an index without one or one
made before Redis last restarted (a restart may have lost the newest writes, even with
persistence), and every script compares it: a flushed, emptied or re-seeded Redis stops the
worker. Any Redis error (refused, reset: redis-py is told not to reconnect silently, timeout,
credentials) or a changed epoch raises SharedIndexLost, and every later call raises it too: the
run stops (exit status 8) and never writes a post it holds no claim for. Unset
FINEWS_REDIS_URL and nothing here runs: one machine, the archive folder is the index.
"""

import secrets
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import redis
    from scrapy.settings import BaseSettings


class Claim(IntEnum):
    """What asking for a claim answers (the scripts below return these numbers)."""

    LOST = -1  # the index is not the one this worker started with: Redis lost or re-made it
    DONE = 0  # some worker wrote the post
    OURS = 1  # this worker holds it
    ELSEWHERE = 2  # another worker holds it


# KEYS: epoch, done set, the key's claim; ARGV: the post key, this worker, claim seconds (0: no
# expiry), the epoch this worker started with.
_CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return -1 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[2] then return 2 end
if ARGV[3] == '0' then redis.call('SET', KEYS[3], ARGV[2]) else redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3]) end
return 1
"""
_DONE = """
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return -1 end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return -1 end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 0
"""
_SCRIPTS = {"claim": _CLAIM, "done": _DONE, "release": _RELEASE}
RESEED = "run `scrapy seed_redis` with every worker's archive, then crawl again"


class SharedIndexLost(Exception):
    """The shared Redis cannot be used, or lost its data: the run stops (exit status 8)."""


def shown_url(url: str) -> str:
    """A Redis URL to show: no user:password@, no query (redis-py also takes ?password=...)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1], query="", fragment="").geturl()


def redis_client(url: str, timeout: float = 10.0) -> "redis.Redis":
    """A redis-py client of `url` that never retries or reconnects silently (nothing is sent yet).

    ValueError for a URL redis-py cannot take; SharedIndexLost without the `distributed` extra.
    """
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise SharedIndexLost(
            "FINEWS_REDIS_URL needs the distributed extra (redis is missing): pip install 'finews-crawler[distributed]'"
        ) from None
    try:
        return redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"setting FINEWS_REDIS_URL is not a Redis URL redis-py takes ({exc}): {shown_url(url)!r}"
        ) from None


class SharedIndex:
    """Post keys done and claimed by the workers of a distributed crawl, in Redis."""

    def __init__(self, url: str, prefix: str, claim_ttl: int, timeout: float = 10.0, client=None):
        self.epoch_key = f"{prefix}:epoch"
        self.done_key = f"{prefix}:done"
        self.claim_prefix = f"{prefix}:claim:"
        self.claim_ttl = claim_ttl
        self.url, self.timeout = url, timeout
        self.worker = ""  # this worker's claim value: "<worker id>@<where>", set by open()
        self.epoch = ""  # the index this worker started with
        self.lost: SharedIndexLost | None = None  # once lost, every call raises it
        self.client = client  # connected at the first call
        self._scripts: dict = {}

    @classmethod
    def from_settings(cls, settings: "BaseSettings") -> "SharedIndex | None":
        """The shared index FINEWS_REDIS_URL names; None when it is unset (one machine: no shared index)."""
        if not settings.get("FINEWS_REDIS_URL"):
            return None
        return cls(
            settings["FINEWS_REDIS_URL"],
            settings.get("FINEWS_REDIS_PREFIX"),
            settings.getint("FINEWS_REDIS_CLAIM_TTL"),
            settings.getfloat("FINEWS_REDIS_TIMEOUT"),
        )

    # --- calls ---------------------------------------------------------------------------------
    def _connected(self):
        if self.client is None:
            try:
                self.client = redis_client(self.url, self.timeout)
            except (SharedIndexLost, ValueError) as exc:
                self._lose(f"cannot be used: {exc}")
            self._scripts = {name: self.client.register_script(text) for name, text in _SCRIPTS.items()}
        return self.client

    def _redis(self, call, *args, **kwargs):
        """One Redis call: the client's method named `call`, or `call(client)`; SharedIndexLost (kept for
        every later call) when Redis fails or the index is not the one this worker started with."""
        if self.lost is not None:
            raise self.lost
        client = self._connected()  # SharedIndexLost without the extra or with a bad URL
        import redis

        try:
            answer = getattr(client, call)(*args, **kwargs) if isinstance(call, str) else call(client)
        except redis.RedisError as exc:
            self._lose(f"does not answer: {' '.join(str(exc).split()) or type(exc).__name__}")
        if answer == Claim.LOST or (isinstance(answer, list) and Claim.LOST in answer):
            self._lose(f"lost or re-made its index (flushed, restarted, evicted or seeded again); {RESEED}")
        return answer

    def _lose(self, what: str):
        self.lost = SharedIndexLost(f"the shared Redis at {shown_url(self.url)} {what}")
        raise self.lost

    def _scripted(self, name: str, keys: list[str], ttl: int = 0, holder: str | None = None) -> list[int]:
        """Script `name` over `keys`, as this worker (or as `holder`), in one round trip."""

        def run(client: "redis.Redis") -> list[int]:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                self._scripts[name](
                    keys=[self.epoch_key, self.done_key, self.claim_prefix + key],
                    args=[key, holder or self.worker, ttl, self.epoch],
                    client=pipe,
                )
            return pipe.execute()

        return self._redis(run) if keys else []

    # --- what a worker does --------------------------------------------------------------------
    def open(self, worker: str, known: Iterable[str]) -> None:
        """At the start of a run, as `worker` (a worker id, then "@" and where it runs): check the index
        is there and made in this life of Redis, then settle what this worker's last run left (its
        posts marked done, its other claims released)."""
        epoch = self._redis("get", self.epoch_key)
        if epoch is None:
            self._lose(f"holds no finews index (new, flushed or restarted empty): {RESEED}")
        if epoch.split(" ", 1)[0] != self._run_id():
            self._lose(f"restarted since its index was made (it may have lost the newest posts): {RESEED}")
        self.epoch, self.worker = epoch, worker
        worker_id = worker.split("@", 1)[0]
        self.settle(set(known), lambda holder: holder.split("@", 1)[0] == worker_id)

    def claim(self, key: str) -> Claim:
        """Take `key` for this worker before it is requested: OURS, DONE (some worker wrote it) or
        ELSEWHERE (another worker holds it)."""
        return self.claim_all([key])[0]

    def claim_all(self, keys: list[str]) -> list[Claim]:
        """claim() for each key, in one round trip."""
        return [Claim(answer) for answer in self._scripted("claim", keys, self.claim_ttl)]

    def hold(self, key: str) -> bool:
        """Just before the post is written: True when the claim is (still, or again) this worker's, and
        then kept without expiry until done(); False when another worker has it or wrote it."""
        return self._scripted("claim", [key])[0] == Claim.OURS

    def done(self, key: str) -> None:
        """The post is written: known to every worker from now on."""
        self._scripted("done", [key])

    def release(self, key: str) -> None:
        """The article will not be written here: let another worker (or a later run) try it."""
        self._scripted("release", [key])

    def is_done(self, key: str) -> bool:
        """Whether some worker wrote the post."""
        return bool(self._redis("sismember", self.done_key, key))

    # --- keeping the index whole ---------------------------------------------------------------
    def settle(self, known: set[str], mine: Callable[[str], bool]) -> tuple[int, int]:
        """Claims whose holder `mine(holder)` accepts: done when the post is in `known`, else released
        (each only if it is still that holder's). Returns (marked done, released)."""
        names = self._redis(lambda client: list(client.scan_iter(match=self.claim_prefix + "*", count=1000)))
        holders = self._redis("mget", names) if names else []
        settled = {"done": 0, "release": 0}
        for name, holder in zip(names, holders, strict=True):
            if holder is not None and mine(holder):
                key = name[len(self.claim_prefix) :]
                script = "done" if key in known else "release"
                self._scripted(script, [key], holder=holder)  # compare-and-delete, as the holder would
                settled[script] += 1
        return settled["done"], settled["release"]

    def seed(self, keys: Iterable[str], batch: int = 10_000) -> int:
        """Mark existing posts done (from an archive folder) and make the index usable: an epoch of this
        life of Redis, kept when there is one already; returns how many keys were new to Redis."""
        run_id = self._run_id()
        epoch = self._redis("get", self.epoch_key)
        if epoch is None or epoch.split(" ", 1)[0] != run_id:
            epoch = f"{run_id} {secrets.token_hex(8)}"
            self._redis("set", self.epoch_key, epoch)
        self.epoch = epoch
        added, chunk = 0, []
        for key in keys:
            chunk.append(key)
            if len(chunk) == batch:
                added += self._redis("sadd", self.done_key, *chunk)
                chunk = []
        if chunk:
            added += self._redis("sadd", self.done_key, *chunk)
        return added

    def _run_id(self) -> str:
        """Redis's id of its current life (a new one at each restart); "-" where INFO is not allowed."""
        import redis

        def read(client: "redis.Redis") -> str:
            try:
                return client.info("server").get("run_id", "-")
            except redis.ResponseError:  # INFO renamed or disabled (some managed services)
                return "-"

        return self._redis(read)

    def eviction_warning(self) -> str | None:
        """A warning when Redis may evict the done set or held claims under memory pressure (allkeys-*
        policies; volatile-* ones evict only claims that expire anyway); None otherwise, or when Redis
        does not say (CONFIG is off on some services)."""
        import redis

        try:
            config = self._connected().config_get("maxmemory*")
        except redis.RedisError:
            return None
        policy = config.get("maxmemory-policy", "noeviction")
        if not policy.startswith("allkeys") or config.get("maxmemory", "0") == "0":
            return None
        return (
            f"the shared Redis at {shown_url(self.url)} evicts keys under memory pressure ({policy}): "
            "a lost done set means posts written twice; set maxmemory-policy noeviction"
        )

    def done_keys(self) -> set[str]:
        """Every key of the done set (for checks and tests)."""
        return set(self._redis("smembers", self.done_key))
