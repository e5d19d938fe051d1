"""The package as a user installs it (`pip install .`, not editable) crawls (`scrapy demo` from it: tests/test_demo.py).

Only the checkout's scrapy.cfg and fixtures/ are beside the run: crawler/ and pipelines/
come from the installed package, so nothing in them may depend on the repository.
"""

import os
import shutil
import subprocess
import sys

import pytest

from fixtures.testing import FIXTURE_SITE, crawl_command, serve
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow  # pip install and real `scrapy` processes


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(a folder with the package installed in it, a checkout without crawler/ and pipelines/)."""
    root = tmp_path_factory.mktemp("install")
    target, checkout = root / "site-packages", root / "checkout"
    source = root / "source"  # a clean copy: no build leftovers in the repository
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", "build", "__pycache__",
                                                                "test-artifacts", "demo-archive", "archive"))  # fmt: skip
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
               "--target", str(target), str(source)]  # fmt: skip
    process = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr[-3000:]
    checkout.mkdir()
    shutil.copy(REPO / "scrapy.cfg", checkout)
    shutil.copytree(FIXTURES, checkout / "fixtures", ignore=shutil.ignore_patterns("__pycache__"))
    return target, checkout


def run_installed(installed, *command: str, cwd=None) -> subprocess.CompletedProcess:
    target, checkout = installed
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(command, cwd=cwd or checkout, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_package_is_the_one_that_runs(installed):
    process = run_installed(installed, sys.executable, "-c", "import crawler, pipelines; print(crawler.__file__)")
    assert process.stdout.startswith(str(installed[0])), process.stdout + process.stderr


def test_an_end_to_end_crawl_from_the_installed_package(installed, tmp_path):
    server, base_url = serve(FIXTURE_SITE)
    try:
        process = run_installed(installed, *crawl_command(base_url, tmp_path / "archive"))
    finally:
        server.shutdown()
    assert process.returncode == 0, process.stderr[-3000:]
    assert "new posts: 60 (new category pages: 22)" in process.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 60
