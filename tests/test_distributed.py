"""Several workers sharing one real Redis (FINEWS_REDIS_URL): nothing fetched or written twice, nothing lost.

Each test starts from an empty Redis database on a redis-server this module starts on a free
loopback port; workers write to their own archive folders, whose union must equal a
single-process run's archive.
"""

import signal
import subprocess
import sys
import time

import pytest

from crawler.distributed import local_redis_server
from crawler.mirror import serve, synthesize
from tests.conftest import REPO, need_tool
from tests.crawl import archive_files, scrapy_crawl, start_crawl

ARTICLES = 320
ARGS = ("categories=350", f"pages={ARTICLES // 80}")


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


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror") / "site"
    synthesize(root, ARTICLES, column=350, page_size=80)
    server, base_url = serve(root, faults={r"/a/\d+\.html": ["delay:0.01*"]})
    yield server, base_url
    server.shutdown()


@pytest.fixture(scope="module")
def single_process(mirror, tmp_path_factory):
    _, base_url = mirror
    archive = tmp_path_factory.mktemp("single") / "archive"
    scrapy_crawl(base_url, archive, *ARGS)
    return archive_files(archive)


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


def test_two_workers_share_the_work(mirror, single_process, shared, tmp_path):
    server, base_url = mirror
    server.requested.clear()
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **shared) for n in (1, 2)]
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]
    assert union(tmp_path / "worker1", tmp_path / "worker2") == single_process
    fetched = article_requests(server)
    assert len(fetched) == len(set(fetched)) == ARTICLES  # no article downloaded twice

    server.requested.clear()  # a second two-worker run: nothing to do
    workers = [start_crawl(base_url, tmp_path / f"worker{n}", *ARGS, **shared) for n in (1, 2)]
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]
    assert union(tmp_path / "worker1", tmp_path / "worker2") == single_process
    assert article_requests(server) == []


def test_a_killed_worker_loses_nothing(mirror, single_process, shared, tmp_path):
    server, base_url = mirror
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
    assert union(tmp_path / "worker1", tmp_path / "worker2") == single_process


def test_seeding_from_an_archive_folder(mirror, single_process, shared, tmp_path):
    server, base_url = mirror
    scrapy_crawl(base_url, tmp_path / "old", *ARGS)  # an archive made without Redis
    command = [sys.executable, "-m", "scrapy", "seed_redis", "-s", f"FINEWS_ARCHIVE_DIR={tmp_path / 'old'}",
               "-s", f"FINEWS_REDIS_URL={shared['FINEWS_REDIS_URL']}"]  # fmt: skip
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert f"{ARTICLES} new" in process.stdout
    server.requested.clear()
    scrapy_crawl(base_url, tmp_path / "new", *ARGS, **shared)
    assert article_requests(server) == []
