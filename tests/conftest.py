"""Shared paths, fixtures and helpers of the offline test suite."""

import argparse
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.commands.archive import Command
from crawler.items import SHANGHAI, Article

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
REFERENCE = FIXTURES / "reference"


def need_tool(name: str) -> str:
    """Path of a real tool; skip without it locally, but fail under CI=true (.ci/run installs it)."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required under CI=true (.ci/run installs it)")
    pytest.skip(f"{name} not installed")


def need_root(command: list[str]) -> None:
    """Run a command that needs root (mount); skip without it locally, but fail under CI=true (CI is root)."""
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode == 0:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{' '.join(command)} failed under CI=true: {process.stderr.strip()}")
    pytest.skip(f"needs root: {' '.join(command)}: {process.stderr.strip()}")


def project_settings(**overrides) -> dict:
    """The project's settings (crawler/settings.py) with overrides, for scrapy.utils.test.get_crawler."""
    from crawler import settings

    return {**{k: v for k, v in vars(settings).items() if k.isupper()}, **overrides}


def make_article(**changes) -> Article:
    """A complete Article (the seed post's infoCode and date), with `changes` applied."""
    fields = dict(
        info_code="NW202112312231871790",
        url="https://finance.eastmoney.com/a/202112312231871790.html",
        title="标题",
        published_at=datetime(2021, 12, 31, 6, 49, 26, tzinfo=SHANGHAI),
        source="中国证券报·中证网",
        paragraphs=["<p>正文</p>"],
    )
    return Article(**{**fields, **changes})


@pytest.fixture
def crawler(tmp_path):
    """A crawler of the eastmoney spider with the project's settings, its archive in tmp_path/site, stats open."""
    from scrapy.utils.test import get_crawler

    from crawler.spiders.eastmoney import EastMoneySpider

    crawler = get_crawler(EastMoneySpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path / "site")))
    crawler.stats.open_spider()
    return crawler


def validated(crawler, item):
    """The item as the validate pipeline (pipelines/validate.py) of `crawler` passes it on."""
    from pipelines.validate import ValidatePipeline

    return ValidatePipeline.from_crawler(crawler).process_item(item)


LARGE_MIRROR_ARTICLES = 320
LARGE_MIRROR_ARGS = ("categories=350", f"pages={LARGE_MIRROR_ARTICLES // 80}")  # 80 a list page


@pytest.fixture(scope="session")
def large_mirror(tmp_path_factory):
    """A synthesized mirror of 320 articles (column 350), served with 10 ms per article: (server, base URL)."""
    from fixtures.testing import serve, synthesize

    root = tmp_path_factory.mktemp("large-mirror") / "site"
    synthesize(root, LARGE_MIRROR_ARTICLES, column=350, page_size=80)
    server, base_url = serve(root, faults={r"/a/\d+\.html": ["delay:0.01*"]})
    yield server, base_url
    server.shutdown()


@pytest.fixture(scope="session")
def large_mirror_archive(large_mirror, tmp_path_factory):
    """The files of a clean single-process crawl of the large mirror: what every other way must equal."""
    from tests.crawl import archive_files, scrapy_crawl

    archive = tmp_path_factory.mktemp("large-clean") / "archive"
    scrapy_crawl(large_mirror[1], archive, *LARGE_MIRROR_ARGS)
    return archive_files(archive)


def archive_command(root: Path, *argv: str) -> int:
    """`scrapy archive <argv>` run in this process on the archive `root` (its usage errors raised); its exit status."""
    command = Command()
    command.settings = Settings(project_settings(FINEWS_ARCHIVE_DIR=str(root)))
    parser = argparse.ArgumentParser()
    command.add_options(parser)
    opts, args = parser.parse_known_args(list(argv))
    command.process_options(args, opts)
    command.run(args, opts)
    return command.exitcode
