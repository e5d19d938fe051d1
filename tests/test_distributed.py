"""Several workers sharing one real Redis (FINEWS_REDIS_URL): nothing fetched or written twice, nothing lost.

Each test starts from an empty Redis database on a redis-server this module starts on a free
loopback port; workers write to their own archive folders, whose union must equal a
single-process run's archive.
"""

import signal
import socket
import subprocess
import time

import pytest

from fixtures.testing import local_redis_server, scrapy_command, serve
from tests.conftest import LARGE_MIRROR_ARGS, LARGE_MIRROR_ARTICLES, REPO, need_tool
from tests.crawl import archive_files, scrapy_crawl, start_crawl

ARTICLES, ARGS = LARGE_MIRROR_ARTICLES, LARGE_MIRROR_ARGS


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with local_redis_server(tmp_path_factory.mktemp("redis"), need_tool("redis-server")) as url:
        yield url


@pytest.fixture
def shared(redis_url):
    """An empty Redis database, and the settings that make a crawl a worker of it."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return {"FINEWS_REDIS_URL": redis_url, "FINEWS_REDIS_CLAIM_TTL": 2, "FINEWS_REDIS_IDLE_WAIT": 3}


def union(*archives) -> dict[str, str]:
    """The files of several workers' archives; a post in two of them would be written twice."""
    files: dict[str, str] = {}
    for archive in archives:
        for name, text in archive_files(archive).items():
            assert not (name.startswith("_posts/") and name in files), f"{name} written twice"
            assert files.get(name, text) == text, name
            files[name] = text
    return files


def article_requests(server) -> list[str]:
    return [path for path in server.requested if "/a/" in path]


def test_two_workers_share_the_work(large_mirror, large_mirror_archive, shared, tmp_path):
    server, base_url = large_mirror
    server.requested.clear()
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **shared) for n in (1, 2)]
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    fetched = article_requests(server)
    assert len(fetched) == len(set(fetched)) == ARTICLES  # no article downloaded twice

    server.requested.clear()  # a second two-worker run: nothing to do
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **shared) for n in (1, 2)]
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive
    assert article_requests(server) == []


def test_a_killed_worker_loses_nothing(large_mirror, large_mirror_archive, shared, tmp_path):
    _server, base_url = large_mirror
    killed = start_crawl(base_url, tmp_path / "worker1", *ARGS, **shared)
    survivor = start_crawl(base_url, tmp_path / "worker2", *ARGS, **shared)
    posts = tmp_path / "worker1" / "_posts"
    while killed.poll() is None and len(list(posts.glob("*.md")) if posts.exists() else []) < 40:
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert survivor.wait(timeout=180) == 0
    time.sleep(2.5)  # the killed worker's claims expire (FINEWS_REDIS_CLAIM_TTL=2)
    scrapy_crawl(base_url, tmp_path / "worker1", *ARGS, **shared)  # the killed worker, restarted
    assert union(tmp_path / "worker1", tmp_path / "worker2") == large_mirror_archive


def test_seeding_from_an_archive_folder(large_mirror, large_mirror_archive, shared, tmp_path):
    server, base_url = large_mirror
    scrapy_crawl(base_url, tmp_path / "old", *ARGS)  # an archive made without Redis
    settings = {"FINEWS_ARCHIVE_DIR": tmp_path / "old", "FINEWS_REDIS_URL": shared["FINEWS_REDIS_URL"]}
    command = scrapy_command("seed_redis", settings=settings)
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert f"{ARTICLES} new" in process.stdout
    server.requested.clear()
    scrapy_crawl(base_url, tmp_path / "new", *ARGS, **shared)
    assert article_requests(server) == []


def test_an_unreachable_redis_is_one_line_and_exit_8(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = scrapy_crawl(
        "http://127.0.0.1:9", tmp_path / "archive", status=8, FINEWS_REDIS_URL=f"redis://127.0.0.1:{port}/0"
    )
    assert (
        process.stderr.strip()
        .splitlines()[-1]
        .startswith(f"scrapy crawl: the shared Redis at redis://127.0.0.1:{port}/0")
    )


def test_wrong_redis_credentials_are_one_line_and_exit_8(tmp_path):
    with local_redis_server(tmp_path, need_tool("redis-server"), password="right-password") as right:
        url = right.replace("right-password", "wrong-password")
        process = scrapy_crawl("http://127.0.0.1:9", tmp_path / "archive", status=8, FINEWS_REDIS_URL=url)
    assert "does not answer" in process.stderr and "wrong-password" not in process.stderr


def test_a_redis_that_would_evict_keys_is_warned_about(tmp_path, redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.config_set("maxmemory", "512mb")
    client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        server, base_url = serve()
        try:
            process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", FINEWS_REDIS_URL=redis_url)
        finally:
            server.shutdown()
    finally:
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "0")
    assert "evicts keys under memory pressure (allkeys-lru)" in process.stderr
