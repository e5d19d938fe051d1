"""The archive as a web site: one `jekyll build` of every post of both folders, then a search index.

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
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from crawler.archive.index import post_files

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOT_STAGED = {
    "_site",
    ".git",
    ".jekyll-cache",
    ".jekyll-metadata",
    ".sass-cache",
    "_posts",
    "_finews_quarantine",
}  # and the old posts
NOT_TEMPLATE = {"README.md", "build_demo.py", "__pycache__", "_site", ".jekyll-cache"}


class BuildFailed(Exception):
    """Jekyll or Pagefind failed: their own error line."""


class ToolMissing(BuildFailed):
    """Jekyll or Pagefind is not installed."""


@dataclass
class Built:
    """What a build made: the site folder, its posts, and seconds spent in each step."""

    out: Path
    posts: int
    jekyll_seconds: float
    search_seconds: float | None  # None: no search index built


def default_template() -> Path | None:
    """The bundled template: site/ of the checkout this package runs from (None when installed without it)."""
    template = Path(__file__).resolve().parents[2] / "site"
    return template if (template / "_config.yml").is_file() else None


def stage(root: Path, old_posts_dir: str, template: Path | None, staging: Path, out: Path | None = None
          ) -> dict[str, Path]:  # fmt: skip
    """Lay out in `staging` the tree Jekyll builds (see the module's text), leaving out the output
    folder `out` when it is inside the archive; returns the posts staged, by file name."""
    old_top = Path(old_posts_dir).parts[0]
    for entry in root.iterdir():
        if entry.name in NOT_STAGED or entry.name == old_top or entry.name.startswith(".finews"):
            continue
        if out is not None and (entry.resolve() == out or out.is_relative_to(entry.resolve())):
            continue
        _link(entry, staging / entry.name)
    if template is not None:
        _merge_template(template, staging)
    posts = staging / "_posts"
    posts.mkdir()
    staged: dict[str, Path] = {}
    for folder in (root / "_posts", root / old_posts_dir):
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


def build(root: Path, out: Path, old_posts_dir: str = "old_post", template: Path | None = None,
          search: bool = True, jekyll: str = "jekyll") -> Built:  # fmt: skip
    """Build the site of the archive at `root` into `out`; BuildFailed with the tool's own error line."""
    root, out = Path(root).resolve(), Path(out).resolve()
    refuse_output(root, out, old_posts_dir)
    with tempfile.TemporaryDirectory(prefix="finews-site-") as temp:
        staging = Path(temp) / "source"
        staging.mkdir()
        posts = stage(root, old_posts_dir, template, staging, out)
        override = Path(temp) / "finews-override.yml"  # a `safe: true` config would skip every staged link
        override.write_text("safe: false\n", encoding="utf-8")
        configs = ",".join(str(p) for p in (staging / "_config.yml", override) if p.exists())
        started = time.monotonic()

        def real_paths(line: str) -> str:  # Jekyll names the staged files: say which file of the archive
            line = re.sub(re.escape(str(staging / "_posts")) + r"/([^\s:]+)",
                          lambda m: str(posts.get(m.group(1), root / "_posts" / m.group(1))), line)  # fmt: skip
            return line.replace(str(staging), str(root))

        _run([jekyll, "build", "--strict_front_matter", "--config", configs, "--source", str(staging),
              "--destination", str(out)], "jekyll build", cwd=staging, explain=real_paths)  # fmt: skip
        jekyll_seconds = time.monotonic() - started
    search_seconds = None
    if search:
        started = time.monotonic()
        _run([*pagefind_command(), "--site", str(out)], "pagefind", cwd=out)
        search_seconds = time.monotonic() - started
    return Built(out, len(posts), jekyll_seconds, search_seconds)


def refuse_output(root: Path, out: Path, old_posts_dir: str) -> None:
    """Jekyll empties its output folder of what it did not build: never the archive or a folder of it."""
    own = [root / name for name in ("_posts", old_posts_dir, "category", "emnews", "_finews_quarantine", ".git")]
    if root.is_relative_to(out) or any(out.is_relative_to(folder) for folder in own):
        raise BuildFailed(f"--out {out} would hold the archive or be inside its posts or pages (Jekyll empties "
                          "its output folder): give the site a folder of its own, such as <archive>/_site")  # fmt: skip


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
