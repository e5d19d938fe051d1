"""Several workers sharing one real Redis (FINEWS_REDIS_URL): nothing fetched or written twice, nothing lost.

Each test starts from an empty Redis database (made ready as `scrapy seed_redis` makes it) on
a redis-server started here on loopback; workers write to their own archive folders, whose
union must equal a single-process run's archive, with every post written once and the shared
done set naming exactly the posts written. Redis faults (killed, restarted empty, flushed)
stop the workers (exit status 8); after `seed_redis` from each archive, reruns in any order
complete the archive. A Redis password is never shown.
"""

import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from crawler.sharedindex import SharedIndex
from fixtures.testing import local_redis_server, ready_redis, redis_server_process, scrapy_command, serve
from tests.conftest import LARGE_MIRROR_ARGS, LARGE_MIRROR_ARTICLES, REPO, need_tool
from tests.crawl import archive_files, scrapy_crawl, start_crawl

ARTICLES, ARGS = LARGE_MIRROR_ARTICLES, LARGE_MIRROR_ARGS
WORKER_SETTINGS = {"FINEWS_REDIS_CLAIM_TTL": 2, "FINEWS_REDIS_IDLE_WAIT": 3, "FINEWS_REDIS_TIMEOUT": 5}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with local_redis_server(tmp_path_factory.mktemp("redis"), need_tool("redis-server")) as url:
        yield url


@pytest.fixture
def shared(redis_url):
    """An empty, ready Redis database, and the settings that make a crawl a worker of it."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    ready_redis(redis_url)
    return {"FINEWS_REDIS_URL": redis_url, **WORKER_SETTINGS}


def union(*archives) -> dict[str, str]:
    """The files of several workers' archives; a post in two of them would be written twice."""
    files: dict[str, str] = {}
    for archive in archives:
        for name, text in archive_files(archive).items():
            assert not (name.startswith("_posts/") and name in files), f"{name} written twice"
            assert files.get(name, text) == text, name
            files[name] = text
    return files


def post_keys(files: dict[str, str]) -> set[str]:
    return {re.sub(r"^_posts/\d{4}-\d\d-\d\d-(.+)\.md$", r"\1", name) for name in files if name.startswith("_posts/")}


def done_set(url: str) -> set[str]:
    return SharedIndex(url, "finews", 2).done_keys()


def posts_in(*archives: Path) -> int:
    return sum(len(list((archive / "_posts").glob("*.md"))) for archive in archives if (archive / "_posts").exists())


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def seed(url: str, archive: Path) -> str:
    command = scrapy_command("seed_redis", settings={"FINEWS_ARCHIVE_DIR": archive, "FINEWS_REDIS_URL": url})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    return process.stdout


def article_requests(server) -> list[str]:
    return [path for path in server.requested if "/a/" in path]


def lock_state(archive: Path) -> str:
    return (archive / ".finews.eastmoney.lock").read_text().split()[0]


def stopped_on_redis(log: Path) -> str:
    """A worker's log after Redis failed: one error line that says so, the summary, no traceback."""
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    errors = [line for line in text.splitlines() if " ERROR: " in line and "finews summary" not in line]
    assert len(errors) == 1 and "the shared Redis at redis://127.0.0.1:" in errors[0], errors
    assert "exit status: 8" in text
    return errors[0]


@pytest.mark.slow
def test_two_workers_share_the_work(large_mirror, large_mirror_archive, shared, tmp_path):
    server, base_url = large_mirror
    server.requested.clear()
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **shared) for n in (1, 2)]
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    assert done_set(shared["FINEWS_REDIS_URL"]) == post_keys(large_mirror_archive)
    fetched = article_requests(server)
    assert len(fetched) == len(set(fetched)) == ARTICLES  # no article downloaded twice
    assert posts_in(tmp_path / "worker1") and posts_in(tmp_path / "worker2")  # both did some

    server.requested.clear()  # a second two-worker run: nothing to do
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **shared) for n in (1, 2)]
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    assert article_requests(server) == []


@pytest.mark.slow
def test_a_killed_worker_loses_nothing(large_mirror, large_mirror_archive, shared, tmp_path):
    _server, base_url = large_mirror
    killed = start_crawl(base_url, tmp_path / "worker1", *ARGS, **shared)
    survivor = start_crawl(base_url, tmp_path / "worker2", *ARGS, **shared)
    wait_until(lambda: killed.poll() is not None or posts_in(tmp_path / "worker1") >= 40, 120)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert survivor.wait(timeout=180) == 0  # it took over what the killed worker had claimed
    scrapy_crawl(base_url, tmp_path / "worker1", *ARGS, **shared)  # the killed worker, restarted
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    assert done_set(shared["FINEWS_REDIS_URL"]) == post_keys(large_mirror_archive)


@pytest.mark.slow
def test_a_worker_killed_while_reading_lists_leaves_the_work_to_the_other(
    large_mirror, large_mirror_archive, shared, tmp_path
):
    """The start-up race: whoever claims first and dies, the other worker ends with every article."""
    import redis

    _server, base_url = large_mirror
    client = redis.Redis.from_url(shared["FINEWS_REDIS_URL"], decode_responses=True)
    first = start_crawl(base_url, tmp_path / "worker1", *ARGS, **shared)
    other = start_crawl(base_url, tmp_path / "worker2", *ARGS, FINEWS_REPORT_FILE=tmp_path / "report.json", **shared)

    def first_claimed() -> bool:
        holders = [client.get(name) for name in client.scan_iter(match="finews:claim:*", count=1000)]
        return first.poll() is not None or any(h and str(tmp_path / "worker1") in h for h in holders)

    wait_until(first_claimed, 120)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert other.wait(timeout=180) == 0
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    assert json.loads((tmp_path / "report.json").read_text())["distributed"]["taken_over"] > 0


def fault_during_two_workers(base_url: str, url: str, tmp_path: Path, fault) -> list[int]:
    """Two workers crawl; once 60 posts are written, `fault()` strikes Redis; their exit statuses."""
    settings = {"FINEWS_REDIS_URL": url, **WORKER_SETTINGS}
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, log=tmp_path / f"worker{n}.log", **settings)
               for n in (1, 2)]  # fmt: skip
    wait_until(lambda: posts_in(tmp_path / "worker1", tmp_path / "worker2") >= 60, 120)
    fault()
    return [worker.wait(timeout=120) for worker in workers]


def rerun_after_seeding(base_url: str, url: str, tmp_path: Path, clean: dict[str, str]) -> None:
    """Workers refuse an index that lost its data; seeded from both archives, reruns (worker 2 first)
    complete the archive, each post once, and the done set names exactly the posts written."""
    settings = {"FINEWS_REDIS_URL": url, **WORKER_SETTINGS}
    refused = scrapy_crawl(base_url, tmp_path / "worker2", *ARGS, status=8, **settings)
    assert "holds no finews index" in refused.stderr and "seed_redis" in refused.stderr
    for n in (1, 2):
        seed(url, tmp_path / f"worker{n}")
    for n in (2, 1):
        scrapy_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **settings)
    assert union(tmp_path / "worker1", tmp_path / "worker2") == clean
    assert done_set(url) == post_keys(clean)


@pytest.mark.slow
def test_redis_killed_mid_crawl_and_restarted_empty(large_mirror, large_mirror_archive, tmp_path):
    _server, base_url = large_mirror
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    executable = need_tool("redis-server")
    (tmp_path / "redis1").mkdir(), (tmp_path / "redis2").mkdir()
    with local_redis_server(tmp_path / "redis1", executable, port=port) as url:
        ready_redis(url)

        def kill() -> None:
            redis_server_process(url).kill()
            redis_server_process(url).wait()

        assert fault_during_two_workers(base_url, url, tmp_path, kill) == [8, 8]
    for n in (1, 2):
        assert "does not answer" in stopped_on_redis(tmp_path / f"worker{n}.log")
        assert lock_state(tmp_path / f"worker{n}") == "interrupted"
    assert posts_in(tmp_path / "worker1", tmp_path / "worker2") < ARTICLES
    union(tmp_path / "worker1", tmp_path / "worker2")  # nothing written twice so far
    with local_redis_server(tmp_path / "redis2", executable, port=port) as url:  # back, without its data
        rerun_after_seeding(base_url, url, tmp_path, large_mirror_archive)


@pytest.mark.slow
def test_a_redis_restarted_with_its_data_is_refused_until_seeded(large_mirror, large_mirror_archive, tmp_path):
    """Persistence may lose the newest writes: an index made before the restart is not trusted."""
    import redis

    _server, base_url = large_mirror
    executable, folder = need_tool("redis-server"), tmp_path / "redis"
    folder.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with local_redis_server(folder, executable, port=port) as url:
        ready_redis(url)
        settings = {"FINEWS_REDIS_URL": url, **WORKER_SETTINGS}
        scrapy_crawl(base_url, tmp_path / "worker1", *ARGS, **settings)
        redis.Redis.from_url(url).save()  # a snapshot: the restart brings the index back
    with local_redis_server(folder, executable, port=port) as url:
        assert done_set(url) == post_keys(large_mirror_archive)
        refused = scrapy_crawl(base_url, tmp_path / "worker2", *ARGS, status=8, **settings)
        assert "restarted since its index was made" in refused.stderr
        assert " 0 new" in seed(url, tmp_path / "worker1")
        scrapy_crawl(base_url, tmp_path / "worker2", *ARGS, **settings)
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    assert not posts_in(tmp_path / "worker2")


@pytest.mark.slow
def test_redis_flushed_mid_crawl(large_mirror, large_mirror_archive, tmp_path):
    import redis

    _server, base_url = large_mirror
    with local_redis_server(tmp_path, need_tool("redis-server")) as url:
        ready_redis(url)
        statuses = fault_during_two_workers(base_url, url, tmp_path, redis.Redis.from_url(url).flushall)
        assert statuses == [8, 8]
        for n in (1, 2):
            assert "lost or re-made its index" in stopped_on_redis(tmp_path / f"worker{n}.log")
        union(tmp_path / "worker1", tmp_path / "worker2")
        rerun_after_seeding(base_url, url, tmp_path, large_mirror_archive)


@pytest.mark.slow
def test_seeding_from_an_archive_folder(large_mirror, large_mirror_archive, shared, tmp_path):
    server, base_url = large_mirror
    scrapy_crawl(base_url, tmp_path / "old", *ARGS)  # an archive made without Redis
    assert f"{ARTICLES} new" in seed(shared["FINEWS_REDIS_URL"], tmp_path / "old")
    assert " 0 new" in seed(shared["FINEWS_REDIS_URL"], tmp_path / "old")  # again: harmless
    server.requested.clear()
    scrapy_crawl(base_url, tmp_path / "new", *ARGS, **shared)
    assert article_requests(server) == []


def refused(tmp_path: Path, url: str) -> str:
    """A crawl that cannot use the shared Redis at `url`: exit 8 with one error line, and its run report."""
    report = tmp_path / "report.json"
    process = scrapy_crawl("http://127.0.0.1:9", tmp_path / "archive", status=8, FINEWS_REDIS_URL=url,
                           FINEWS_REPORT_FILE=report)  # fmt: skip
    assert "Traceback" not in process.stderr
    errors = [line for line in process.stderr.splitlines() if " ERROR: " in line and "finews summary" not in line]
    assert len(errors) == 1, process.stderr[-3000:]
    assert json.loads(report.read_text())["exit_status"] == 8
    return errors[0]


@pytest.mark.slow
def test_an_unreachable_redis_is_one_line_and_exit_8(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert f"the shared Redis at redis://127.0.0.1:{port}/0 does not answer" in refused(
        tmp_path, f"redis://127.0.0.1:{port}/0"
    )


@pytest.mark.slow
def test_wrong_redis_credentials_are_one_line_and_exit_8(tmp_path):
    with local_redis_server(tmp_path, need_tool("redis-server"), password="right-password") as right:
        line = refused(tmp_path, right.replace("right-password", "wrong-password"))
    assert "does not answer" in line and "wrong-password" not in line


@pytest.mark.slow
def test_a_redis_without_the_index_is_one_line_and_exit_8(tmp_path, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    assert "holds no finews index" in refused(tmp_path, redis_url)


@pytest.mark.slow
def test_without_the_distributed_extra_one_line_and_exit_8(tmp_path, monkeypatch):
    hidden = tmp_path / "no-redis" / "redis"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('redis is not installed')\n")
    monkeypatch.setenv("PYTHONPATH", str(hidden.parent))
    assert "needs the distributed extra" in refused(tmp_path, "redis://127.0.0.1:9/0")


@pytest.mark.slow
def test_a_redis_that_would_evict_keys_is_warned_about(tmp_path, shared):
    import redis

    client = redis.Redis.from_url(shared["FINEWS_REDIS_URL"])
    client.config_set("maxmemory", "512mb")
    client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        server, base_url = serve()
        try:
            process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", **shared)
        finally:
            server.shutdown()
    finally:
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "0")
    assert "evicts keys under memory pressure (allkeys-lru)" in process.stderr


@pytest.mark.slow
def test_a_malformed_redis_url_is_a_usage_error(tmp_path):
    process = scrapy_crawl("http://127.0.0.1:9", tmp_path / "archive", status=2, FINEWS_REDIS_URL="redis://h:port/0")
    assert "FINEWS_REDIS_URL is not a Redis URL" in process.stderr and "Traceback" not in process.stderr


def test_a_redis_password_is_never_shown():
    from crawler.sharedindex import shown_url as _without_password

    assert _without_password("redis://:secret@10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"
    assert _without_password("redis://10.0.0.5:6379/0?password=secret") == "redis://10.0.0.5:6379/0"
