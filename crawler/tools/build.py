"""`scrapy archive build`: the archive as a web site, one `jekyll build` of every post of both folders, then search.

Jekyll publishes only `_posts/`, and the old-posts folder (FINEWS_OLD_POSTS_DIR) holds the older
posts of the same archive. So the build reads a staging tree of symbolic links, in a temporary
folder, and writes nothing into the archive but the output folder:
- the archive's own files and folders (its `_config.yml`, layouts, pages, category pages), less
  its posts folders, its built site, git's and this project's own files;
- the bundled template's files (site/: config, layouts, the list-page plugins, the search page)
  wherever the archive has no file of that name: an archive with its own theme keeps it;
- one `_posts/` of every post of `_posts/` and of the old-posts folder (a name in both: the one
  in `_posts/`). A post's URL comes from its date and file name, so it stays when a post moves.
Then Pagefind (`pagefind[extended]`, with Chinese word segmentation) indexes the built posts
into `<out>/pagefind/` for the search page.

Options: --out DIR (default <archive>/_site), --no-search (no Pagefind). Takes no lock: crawls may
run meanwhile (posts are written atomically; a post written during the build is in the next one).
Exit status 1 when Jekyll or Pagefind fails (their own error line), 2 when one is missing or
--out would hold the archive or one of its folders.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crawler import settings as defaults
from crawler.archive import Archive, layout
from crawler.archive.index import post_files
from crawler.exitstatus import ExitStatus
from crawler.tools.verb import Option, Verb, VerbFailed

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOT_STAGED = {
    layout.SITE_DIR,
    layout.POSTS_DIR,
    layout.QUARANTINE_DIR,
    ".git",
    ".jekyll-cache",
    ".jekyll-metadata",
    ".sass-cache",
}  # and the old posts, and the archive's own files
NOT_TEMPLATE = {"README.md", "__pycache__", layout.SITE_DIR, ".jekyll-cache"}


class BuildFailed(VerbFailed):
    """Jekyll or Pagefind failed: their own error line (exit status 1)."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.FAILED):
        super().__init__(status, message)


class ToolMissing(BuildFailed):
    """Jekyll or Pagefind is not installed (exit status 2)."""

    def __init__(self, message: str):
        super().__init__(message, ExitStatus.USAGE)


class Build(Verb):
    name = "build"
    summary = "the web site of every post, with paged lists and a search index"
    options = (
        Option(("--out",), "where the site goes (default: <archive>/_site)", {"metavar": "DIR"}),
        Option(("--no-search",), "no search index (no Pagefind)", {"action": "store_true"}),
    )

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        root, old_posts_dir = archive.root, archive.old_posts_dir.relative_to(archive.root).as_posix()
        template = Path(settings.get("FINEWS_SITE_TEMPLATE") or "").resolve()
        if not settings.get("FINEWS_SITE_TEMPLATE") or not template.is_dir():
            raise VerbFailed(
                ExitStatus.USAGE,
                "no site template: run from a checkout of finews-crawler, or set -s FINEWS_SITE_TEMPLATE=DIR",
            )
        if opts.out is not None and not opts.out.strip():
            raise VerbFailed(ExitStatus.USAGE, "--out needs a folder")
        out = Path(opts.out).resolve() if opts.out else root / layout.SITE_DIR
        refuse_output(root, out, template)
        if not opts.no_search:
            pagefind_command()  # missing: said before a long build, not after
        try:
            built = build(root, out, old_posts_dir, template, search=not opts.no_search)
        except OSError as exc:
            raise VerbFailed(ExitStatus.NOT_WRITABLE, f"cannot build into {out}: {exc}") from None
        search = f", search index {built.search_seconds:.1f} s" if built.search_seconds is not None else ""
        print(f"built {built.out}: {built.posts} posts, jekyll {built.jekyll_seconds:.1f} s{search}")
        return ExitStatus.OK


@dataclass
class Built:
    """What a build made: the site folder, its posts, and seconds spent in each step."""

    out: Path
    posts: int
    jekyll_seconds: float
    search_seconds: float | None  # None: no search index built


def stage(
    root: Path, old_posts_dir: str, template: Path | None, staging: Path, out: Path | None = None
) -> dict[str, Path]:
    """Lay out in `staging` the tree Jekyll builds (see the module's text), leaving out the output
    folder `out` when it is inside the archive; returns the posts staged, by file name."""
    old_top = Path(old_posts_dir).parts[0]
    for entry in root.iterdir():
        if entry.name in NOT_STAGED or entry.name == old_top or layout.is_own_file(entry.name):
            continue
        if out is not None and (entry.resolve() == out or out.is_relative_to(entry.resolve())):
            continue
        _link(entry, staging / entry.name)
    if template is not None:
        _merge_template(template, staging)
    posts = staging / layout.POSTS_DIR
    posts.mkdir()
    staged: dict[str, Path] = {}
    for folder in (root / layout.POSTS_DIR, root / old_posts_dir):
        for path in post_files(folder):
            if path.name not in staged:
                os.symlink(path, posts / path.name)
                staged[path.name] = path
    if old_top != old_posts_dir.strip("/") and (root / old_top).is_dir():  # old posts deeper in a folder
        _link_except(root / old_top, staging / old_top, root / old_posts_dir)
    return staged


def _link(source: Path, target: Path) -> None:
    os.symlink(source.resolve(), target, target_is_directory=source.is_dir())


def _merge_template(template: Path, staging: Path) -> None:
    """The template's files where the staged tree has none: a folder in both is merged file by file."""
    for entry in template.iterdir():
        if entry.name in NOT_TEMPLATE:
            continue
        target = staging / entry.name
        if not os.path.lexists(target):
            _link(entry, target)
        elif entry.is_dir() and target.is_dir():
            if target.is_symlink():  # the archive's folder: made real, with its files linked in it
                archive_folder = target.resolve()
                target.unlink()
                target.mkdir()
                for child in archive_folder.iterdir():
                    _link(child, target / child.name)
            _merge_template(entry, target)


def _link_except(source: Path, target: Path, left_out: Path) -> None:
    target.mkdir()
    for child in source.iterdir():
        if child == left_out:
            continue
        if left_out.is_relative_to(child):
            _link_except(child, target / child.name, left_out)
        else:
            _link(child, target / child.name)


def build(
    root: Path,
    out: Path,
    old_posts_dir: str = defaults.FINEWS_OLD_POSTS_DIR,
    template: Path | None = None,
    search: bool = True,
    jekyll: str = "jekyll",
) -> Built:
    """Build the site of the archive at `root` into `out`; BuildFailed with the tool's own error line."""
    root, out = Path(root).resolve(), Path(out).resolve()
    refuse_output(root, out, template)
    with tempfile.TemporaryDirectory(prefix="finews-site-") as temp:
        staging = Path(temp) / "source"
        staging.mkdir()
        posts = stage(root, old_posts_dir, template, staging, out)
        override = Path(temp) / "finews-override.yml"  # a `safe: true` config would skip every staged link
        override.write_text("safe: false\n", encoding="utf-8")
        configs = ",".join(str(p) for p in (staging / "_config.yml", override) if p.exists())
        started = time.monotonic()

        def real_paths(line: str) -> str:  # Jekyll names the staged files: say which file of the archive
            line = re.sub(
                re.escape(str(staging / layout.POSTS_DIR)) + r"/([^\s:]+)",
                lambda m: str(posts.get(m.group(1), root / layout.POSTS_DIR / m.group(1))),
                line,
            )
            return line.replace(str(staging), str(root))

        _run(
            [
                jekyll,
                "build",
                "--strict_front_matter",
                "--config",
                configs,
                "--source",
                str(staging),
                "--destination",
                str(out),
            ],
            "jekyll build",
            cwd=staging,
            explain=real_paths,
        )
        jekyll_seconds = time.monotonic() - started
    search_seconds = None
    if search:
        started = time.monotonic()
        _run([*pagefind_command(), "--site", str(out)], "pagefind", cwd=out)
        search_seconds = time.monotonic() - started
    return Built(out, len(posts), jekyll_seconds, search_seconds)


def refuse_output(root: Path, out: Path, template: Path | None = None) -> None:
    """Jekyll empties its output folder of what it did not build: VerbFailed(USAGE) when `out` holds the
    archive or the template, or lies in the archive anywhere but its site folder (`_site`)."""
    site = root / layout.SITE_DIR
    inside = out.is_relative_to(root) and not out.is_relative_to(site)
    held = [folder for folder in (root, template) if folder is not None and folder.is_relative_to(out)]
    if inside or held or (template is not None and out.is_relative_to(template)):
        raise VerbFailed(
            ExitStatus.USAGE,
            f"--out {out} would hold or be inside the archive or the site template (Jekyll empties its "
            f"output folder): give the site a folder of its own, such as {site}",
        )


def pagefind_command() -> list[str]:
    """How to run Pagefind: the `pagefind` Python package (extra `site`); BuildFailed when it is missing."""
    import importlib.util

    if importlib.util.find_spec("pagefind") is None:
        raise ToolMissing(
            "pagefind is not installed, so no search index: pip install 'finews-crawler[site]' (or build with --no-search)"
        )
    return [sys.executable, "-m", "pagefind"]


def _run(command: list[str], name: str, cwd: Path, explain=lambda line: line) -> None:
    if shutil.which(command[0]) is None and not Path(command[0]).is_file():
        raise ToolMissing(f"{name}: {command[0]} is not installed (Debian: apt-get install jekyll)")
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if process.returncode != 0:
        raise BuildFailed(f"{name} failed: {explain(_error_line(process.stdout + process.stderr))}")


def _error_line(output: str) -> str:
    """The line of a tool's output that says what went wrong (else its last line), without colours."""
    lines = [line.strip() for line in _ANSI_RE.sub("", output).splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower() or "exception" in line.lower():
            return line
    return lines[-1] if lines else "no output"
