"""`scrapy archive build`: the archive as a web site, one `jekyll build` of every post of both folders, then search.

Jekyll publishes only `_posts/`, and the old-posts folder (FINEWS_OLD_POSTS_DIR) holds the older
posts of the same archive. So the build reads a staging tree in a temporary folder (real folders,
a symbolic link per file to the file's real path), and writes nothing into the archive but the
output folder:
- the archive's own files and folders (its layouts, pages, category pages), less what
  crawler/tools/sitefiles.py NOT_STAGED names (its posts folders, its built site, its plugins and
  Gemfile, git's files), the old-posts folder and this project's own files;
- the bundled template's files (site/: layouts, the list-page plugins, the search page) wherever
  the archive has no file of that name: an archive with its own theme keeps it;
- one `_posts/` of every post of `_posts/` and of the old-posts folder (a name in both: the one
  in `_posts/`). A post's URL comes from its date and file name, so it stays when a post moves.
No link leads outside the archive (or the template) nor into what it does not publish: a symbolic
link to such a place, or to nothing, is skipped and named on stderr (`skipped PATH: ...`).
Files Jekyll would stop at or that would publish what they should not are skipped and named
(sitefiles.why_not_a_site_name, why_not_staged). Jekyll reads the template's `_config.yml`, the
keys of the archive's the site honours merged over it (sitefiles.archive_config), then the keys of
forced_config(), by which Jekyll would read or write elsewhere; the archive's Gemfile is neither
staged nor read. A post's own `permalink:` never replaces a page
(site/_plugins/finews_post_urls.rb). A post, page, layout or include of the archive Jekyll cannot
read is left out (`left out PATH: <Jekyll's line>`), the template's file of that name in its place
when it has one, and Jekyll runs again, up to MAX_LEFT_OUT times: the site holds every other file,
and the exit status is 1. Then Pagefind (`pagefind[extended]`, with Chinese word segmentation)
indexes the built posts into `<out>/pagefind/` for the search page.

The output folder (check_output): Jekyll empties it of what it did not build, so the build only
writes into a missing or empty folder, or a site an earlier build made (its marker file, which
Jekyll keeps), never the archive (but its `_site`), the template, the checkout or a folder that
holds one; symbolic links on the way are resolved and the rules apply to the real folder.

Options: --out DIR (default <archive>/_site), --no-search (no Pagefind). Crawls may run meanwhile
(posts are written atomically; a post written during the build is in the next one); maintain and
doctor --fix may not (posts_lock: a shared lock on the archive folder). Exit status 1 when Jekyll or
Pagefind fails (their own error line) or a file was left out (after a complete build), 2 when one
is missing or --out is refused (nothing touched), 7 when SIGTERM stopped it (its temporary folders
removed; the next build is full).

Into a site folder an earlier build made, a build is an update (crawler/tools/incremental.py): it
renders what changed and the list pages it touches; --full renders everything.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from crawler import settings as defaults
from crawler.archive import Archive, layout
from crawler.archive.index import post_files
from crawler.exitstatus import ExitStatus
from crawler.tools import incremental
from crawler.tools.incremental import Signature
from crawler.tools.programs import BuildFailed, ToolMissing, pagefind_command
from crawler.tools.search import FOLDER as SEARCH_FOLDER
from crawler.tools.search import STATE_VERSION as SEARCH_FORMAT
from crawler.tools.search import IndexReport, SearchPost
from crawler.tools.search import index as search_index
from crawler.tools.sitefiles import (
    CONFIG_NAMES,
    NOT_STAGED,
    archive_config,
    is_read_by_jekyll,
    why_not_a_site_name,
    why_not_staged,
)
from crawler.tools.verb import Option, Verb, VerbFailed

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SAYS_ERROR_RE = re.compile(r"\b(?:error|exception)\b", re.I)  # a word: not inside a path's name
_JEKYLL_HEADING = "ERROR: YOUR SITE COULD NOT BE BUILT:"
_HEADING_RE = re.compile(rf"{re.escape(_JEKYLL_HEADING)}|-+")
_RUBY_RAISED_RE = re.compile(r"^/\S+:\d+:in [`'][^']*': .* \((?:[A-Z]\w*::)*[A-Z]\w*\)$")
NOT_TEMPLATE = {"README.md", "__pycache__", layout.SITE_DIR, ".jekyll-cache"}
MAX_LEFT_OUT = 20  # files Jekyll cannot read left out of one build (one more Jekyll run each); then it fails
PLUGIN_WARNING = "finews:"  # how site/_plugins/ warn (Jekyll.logger.warn "finews:", ...)
CHECKOUT_FILE = "scrapy.cfg"  # a finews-crawler checkout is the folder of one
MARKER_TEXT = "A site `scrapy archive build` made: each build empties this folder of what it did not build.\n"


class Build(Verb):
    name = "build"
    summary = "the web site of every post, with paged lists and a search index"
    options = (
        Option(("--out",), "where the site goes (default: <archive>/_site)", {"metavar": "DIR"}),
        Option(("--no-search",), "no search index (no Pagefind)", {"action": "store_true"}),
        Option(
            ("--full",),
            "build every page, even when --out holds a site an earlier build made",
            {"action": "store_true"},
        ),
    )

    def posts_lock(self, opts: Namespace) -> str | None:
        return "shared"  # never while maintain or doctor --fix moves or rewrites posts

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
        checkout = getattr(opts, "checkout", None)  # the folder of the scrapy.cfg the command runs under
        out = check_output(root, Path(opts.out).absolute() if opts.out else root / layout.SITE_DIR, template, checkout)
        bundle_posts = str(settings.get("FINEWS_SEARCH_BUNDLE_POSTS", defaults.FINEWS_SEARCH_BUNDLE_POSTS))
        if not bundle_posts.isdigit() or int(bundle_posts) < 1:
            raise VerbFailed(ExitStatus.USAGE, f"FINEWS_SEARCH_BUNDLE_POSTS {bundle_posts!r} is no whole number from 1")
        bundle_posts = int(bundle_posts)
        if not opts.no_search:
            pagefind_command()  # missing: said before a long build, not after

        def stopped(signum: int, frame: object) -> None:  # temporary folders go, Jekyll is stopped with the build
            raise VerbFailed(
                ExitStatus.STOPPED_EARLY,
                f"stopped by signal {signum} before the build ended: the next build makes the site in full",
            )

        previous = signal.signal(signal.SIGTERM, stopped)
        try:
            built = build(
                root,
                out,
                old_posts_dir,
                template,
                search=not opts.no_search,
                checkout=checkout,
                full=opts.full,
                bundle_posts=bundle_posts,
            )
        except OSError as exc:
            raise VerbFailed(ExitStatus.NOT_WRITABLE, f"cannot build into {out}: {exc}") from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        search = ""
        if built.search is not None:
            bundles = f"{built.search.reindexed} of {built.search.bundles} bundles"
            search = f", search index {built.search_seconds:.1f} s ({bundles} indexed)"
        what = "updated" if built.updated else "built"
        print(f"{what} {built.out}: {built.posts} posts, jekyll {built.jekyll_seconds:.1f} s{search}")
        if built.left_out:  # a complete site of every other file; the status says the archive needs a repair
            posts = sum(gone.is_post for gone in built.left_out)
            counts = [_count(posts, "post"), _count(len(built.left_out) - posts, "other file" if posts else "file")]
            raise BuildFailed(
                f"the site was built without {' and '.join(c for c in counts if c)} of the archive Jekyll cannot "
                f"read (named above; scrapy archive doctor says more): {built.left_out[0].reason}"
            )
        return ExitStatus.OK


@dataclass
class Built:
    """What a build made: the site folder, its posts, and seconds spent in each step."""

    out: Path
    posts: int
    jekyll_seconds: float
    search_seconds: float | None  # None: no search index built
    left_out: list["LeftOut"] = field(default_factory=list)  # files Jekyll could not read, and why
    updated: bool = False  # an update of an earlier build's site (else a full build)
    search: "IndexReport | None" = None  # what the search index step did (None: no search index)


def stage(
    root: Path,
    old_posts_dir: str,
    template: Path | None,
    staging: Path,
    out: Path | None = None,
    link_posts: bool = True,
) -> dict[str, Path]:
    """Lay out in `staging` the tree Jekyll builds (see the module's text): real folders, a link per file
    to the file's real path, never to anything outside the archive (or the template), nor into what it
    does not publish (`out` included); each link skipped is named on stderr. Returns the posts the site
    may show, by file name; without `link_posts` none is linked yet (link() links those an update needs)."""
    hidden = {root / name for name in NOT_STAGED} | {root / old_posts_dir}
    if out is not None:
        hidden.add(out)
    configs = {root / name for name in CONFIG_NAMES}  # read by Jekyll from where they are (_configs)
    _mirror(root, staging, root, hidden | configs, "the archive", (root,))
    if template is not None:
        hidden_there = {template / name for name in (*NOT_TEMPLATE, *CONFIG_NAMES)}
        _mirror(template, staging, template, hidden_there, "the template", (template,))
    (staging / layout.POSTS_DIR).mkdir(exist_ok=True)
    not_posts = hidden - {root / layout.POSTS_DIR, root / old_posts_dir}
    staged: dict[str, Path] = {}
    for folder in (root / layout.POSTS_DIR, root / old_posts_dir):
        real_folder = folder.resolve() == folder
        for path in post_files(folder):
            if path.name in staged:
                continue
            plain = real_folder and path.parent == folder and not path.is_symlink()  # its own real path
            real = path if plain else _published(path, root, not_posts, "the archive")
            if real is not None and real.is_file():
                staged[path.name] = path
                if link_posts:
                    os.symlink(real, staging / layout.POSTS_DIR / path.name)
    return staged


def link(staging: Path, posts: Mapping[str, Path], names: Iterable[str]) -> None:
    """Link the posts of `names` (of those stage() found) into the staging tree."""
    for name in names:
        os.symlink(posts[name].resolve(), staging / layout.POSTS_DIR / name)


def _published(path: Path, allowed: Path, hidden: set[Path], where: str, as_jekyll: bool = False) -> Path | None:
    """The real path of `path` when the site may show it (inside `allowed`, not in a `hidden` folder,
    no file of this project's own; with `as_jekyll`, in a place Jekyll publishes: no `_` or `.` folder
    but the theme's), else None after one line on stderr naming it. Only a path with a link in it
    (itself, or a folder on the way) is judged: a real path's place was judged by the caller."""
    real = path.resolve()
    if real == path:
        return path
    link = "a symbolic link to" if path.is_symlink() else "a path through a symbolic link to"
    reason = None
    if not real.exists():
        reason = f"{link} nothing ({os.readlink(path) if path.is_symlink() else real})"
    elif not real.is_relative_to(allowed):
        reason = f"{link} {real}, outside {where}"
    elif any(real.is_relative_to(folder) for folder in hidden) or any(
        layout.is_own_file(part) for part in real.relative_to(allowed).parts
    ):
        reason = f"{link} {real}, which the site does not publish"
    elif as_jekyll and not is_read_by_jekyll(real, allowed):
        reason = f"{link} {real}, in a folder Jekyll does not publish"
    if reason is not None:
        print(f"skipped {path}: {reason}", file=sys.stderr)
        return None
    return real


def _mirror(source: Path, target: Path, allowed: Path, hidden: set[Path], where: str, inside: tuple[Path, ...]) -> None:
    """The files of the real folder `source` linked into `target` where it has none of that name, its
    folders made real and mirrored alike (a folder `target` has is merged file by file). `inside`: the
    real folders being mirrored, so a link to one of them is no loop."""
    target.mkdir(exist_ok=True)
    for path in sorted(source.iterdir()):
        if path in hidden or layout.is_own_file(path.name):
            continue
        refused = why_not_a_site_name(path, allowed, target)
        if refused is not None:
            print(f"skipped {path}: {refused}", file=sys.stderr)
            continue
        real = _published(path, allowed, hidden, where, as_jekyll=True)
        if real is None:
            continue
        there = target / path.name
        if real.is_dir():
            if real in inside:
                print(f"skipped {path}: a symbolic link to a folder that holds it ({real})", file=sys.stderr)
            elif not os.path.lexists(there) or (there.is_dir() and not there.is_symlink()):
                _mirror(real, there, allowed, hidden, where, (*inside, real))
        elif real.is_file():
            reason = why_not_staged(real, allowed) if not os.path.lexists(there) else None
            if reason is not None:
                print(f"skipped {path}: {reason}", file=sys.stderr)
            elif not os.path.lexists(there):
                os.symlink(real, there)
        else:
            print(f"skipped {path}: neither a regular file nor a folder", file=sys.stderr)


def build(
    root: Path,
    out: Path,
    old_posts_dir: str = defaults.FINEWS_OLD_POSTS_DIR,
    template: Path | None = None,
    search: bool = True,
    jekyll: str = "jekyll",
    checkout: Path | None = None,
    full: bool = False,
    bundle_posts: int = defaults.FINEWS_SEARCH_BUNDLE_POSTS,
) -> Built:
    """Build the site of the archive at `root` into `out`; BuildFailed with the tool's own error line.
    VerbFailed(USAGE), nothing touched, when `out` is no place for it (check_output)."""
    root = Path(root).resolve()
    template = Path(template).resolve() if template is not None else None
    out = check_output(root, Path(out), template, checkout)
    out.mkdir(parents=True, exist_ok=True)
    marker = out / layout.SITE_MARKER
    if not marker.is_file():
        marker.write_text(MARKER_TEXT, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="finews-site-") as temp:
        staging = Path(temp) / "source"
        staging.mkdir()
        posts = stage(root, old_posts_dir, template, staging, out, link_posts=False)
        report = Path(temp) / "built.json"  # what site/_plugins/finews_report.rb says was made
        configs = [*_configs(template, template, "the template"), *_honoured_config(root, Path(temp))]
        earlier = None if full else incremental.read_manifest(out)
        files = incremental.staged_files(staging, layout.POSTS_DIR)
        post_signatures = {
            name: Signature.of(path, earlier and earlier.post_signature(name)) for name, path in posts.items()
        }
        file_signatures = {
            path: Signature.of(real, earlier and earlier.file_signature(path)) for path, real in files.items()
        }
        forced = json.dumps(  # the build's own keys and code: a new release or index format makes a full build
            [forced_config(Path("source"), Path("out")), _release(), SEARCH_FORMAT], sort_keys=True
        ).encode()
        fingerprint = incremental.fingerprint(files, file_signatures, configs, forced)
        update = None
        if earlier is not None:
            why = incremental.why_full(files, template, post_signatures)
            why = why or ("the theme or the config changed" if earlier.fingerprint != fingerprint else None)
            why = why or (
                "the site folder is not as the last build left it"
                if incremental.site_stats(out) != earlier.site
                else None
            )
            if why is None:
                update = incremental.plan(earlier, post_signatures, file_signatures)
            else:
                print(f"a full build: {why}", file=sys.stderr)
        read = (
            set(posts)
            if update is None
            else set(update.posts) | {n for n in posts if incremental.reread(earlier.posts.get(n, {}))}
        )
        link(staging, posts, sorted(read))
        elsewhere = [] if update is None else [{"name": n, **earlier.posts[n]} for n in sorted(set(posts) - read)]
        incremental.forget(out)  # a build stopped midway leaves a site the next build makes in full

        def archive_path(staged: Path) -> Path:  # the file of the archive (or template) a staged file is
            if staged.parent == staging / layout.POSTS_DIR and staged.name in posts:
                return posts[staged.name]
            return Path(os.readlink(staged)) if staged.is_symlink() else root / staged.relative_to(staging)

        def real_paths(line: str) -> str:  # Jekyll names the staged files: say which file of the archive
            found = re.sub(re.escape(str(staging)) + r"/([^\s:]+)", lambda m: str(archive_path(staging / m[1])), line)
            return found.replace(str(staging), str(root))

        def jekyll_build(destination: Path, plan: "incremental.UpdatePlan | None", elsewhere: list[dict]) -> dict:
            """One `jekyll build` into `destination` (all of it, or what `plan` names, knowing the posts
            `elsewhere` from the earlier build); what it reported."""
            override = Path(temp) / "finews-override.yml"  # JSON is YAML: the keys no config may change
            keys = forced_config(staging, destination, report)
            if plan is not None:
                keys["finews_update"] = str(Path(temp) / "finews-update.json")
                Path(keys["finews_update"]).write_text(plan.as_json(elsewhere), encoding="utf-8")
            override.write_text(json.dumps(keys), encoding="utf-8")
            command = [jekyll, "build", "--strict_front_matter", "--config", ",".join(map(str, [*configs, override]))]
            command += ["--source", str(staging), "--destination", str(destination)]
            env = {name: value for name, value in os.environ.items() if name != "BUNDLE_GEMFILE"}
            env |= {"JEKYLL_ENV": "production", "JEKYLL_NO_BUNDLER_REQUIRE": "true"}  # no Gemfile is read
            while (
                True
            ):  # a file of the archive Jekyll cannot read is left out, and Jekyll runs again (it wrote nothing)
                try:
                    _run(command, "jekyll build", cwd=staging, explain=real_paths, env=env)  # it copies, not links
                    break
                except BuildFailed as failed:
                    staged = _staged_file_named(failed.line, staging)
                    if staged is None or len(left_out) == MAX_LEFT_OUT:
                        raise
                    gone = LeftOut(
                        archive_path(staged), real_paths(failed.line), staged.parent.name == layout.POSTS_DIR
                    )
                    instead = _leave_out(staged, staging, template)
                    if instead is None:
                        raise
                    if gone.is_post:
                        posts.pop(staged.name)
                    left_out.append(gone)
                    print(f"left out {gone.path}: {gone.reason}{instead}", file=sys.stderr)
            return json.loads(report.read_text(encoding="utf-8"))

        left_out: list[LeftOut] = []
        started = time.monotonic()
        made = jekyll_build(out if update is None else Path(temp) / "update", update, elsewhere)
        if update is not None:
            moved = incremental.moved_posts(earlier, made["posts"], set(update.posts))
            why = (
                f"Jekyll {earlier.jekyll} built the site, this is {made['jekyll']}"
                if made["jekyll"] != earlier.jekyll
                else None
            )
            why = why or (f"{moved[0]} moved in the site ({len(moved)} posts)" if moved else None)
            if why is None:
                incremental.merge(Path(temp) / "update", out, [*made["files"], *(post["file"] for post in elsewhere)])
            else:
                print(f"a full build: {why}", file=sys.stderr)
                update, elsewhere = None, []
                link(staging, posts, sorted(set(posts) - read))
                made = jekyll_build(out, None, [])
        jekyll_seconds = time.monotonic() - started
    known = {post["name"]: post for post in [*elsewhere, *made["posts"]] if post["name"] in post_signatures}
    manifest = incremental.Manifest(
        fingerprint,
        made["jekyll"],
        {name: {**incremental.kept(post), "sig": post_signatures[name].as_list()} for name, post in known.items()},
        {path: signature.as_list() for path, signature in file_signatures.items()},
    )
    search_seconds, indexed = None, None
    if search:
        started = time.monotonic()
        rendered = None if update is None else {post["file"] for post in made["posts"] if post["name"] in update.posts}
        search_posts = [SearchPost("/" + post["file"], post["file"], post["date"]) for post in known.values()]
        indexed = search_index(out, search_posts, rendered, bundle_posts)
        search_seconds = time.monotonic() - started
    else:  # no index of some other archive's posts: the next build with search makes it whole
        shutil.rmtree(out / SEARCH_FOLDER, ignore_errors=True)
    manifest.site = incremental.site_stats(out)
    incremental.remember(out, manifest)
    return Built(out, len(known), jekyll_seconds, search_seconds, left_out, update is not None, indexed)


@dataclass
class LeftOut:
    """A file of the archive a build left out: Jekyll could not read it (its line says why)."""

    path: Path
    reason: str
    is_post: bool


def _staged_file_named(line: str, staging: Path) -> Path | None:
    """The staged file a line of Jekyll's names: by its path, relative to the source (`... in about.html`),
    or quoted (`converting 'assets/site.scss'`); the longest name that is a staged file (a name may
    hold spaces and colons)."""
    starts = [m.end() for m in re.finditer(re.escape(str(staging)) + "/", line)]
    starts += [m.end() for m in re.finditer(r"(?: in |')(?=\S)", line)]
    for start in starts:
        rest = line[start:]
        for end in sorted({len(rest), *(m.start() for m in re.finditer(r"[\s:',]", rest))}, reverse=True):
            for name in dict.fromkeys((rest[:end], rest[:end].rstrip("."))):  # a sentence's full stop is no name's
                path = Path(os.path.normpath(staging / name)) if name else staging
                if path != staging and path.is_relative_to(staging) and path.is_symlink():  # a staged file: a link
                    return path
    return None


def _leave_out(staged: Path, staging: Path, template: Path | None) -> str | None:
    """Take a file of the archive Jekyll cannot read out of the staging tree: the template's file of that
    name takes its place (a home page, a layout), else it goes (a page or post, or a theme or data file:
    then what uses it fails in turn and goes too, or does without). Returns what stands in its place
    ("" for nothing); None when it is the template's own (the build fails)."""
    real = Path(os.readlink(staged))
    if template is not None and real.is_relative_to(template):
        return None  # the template's own: a defect of this project, or of what a page gave it
    relative = staged.relative_to(staging)
    is_post = relative.parts[0] == layout.POSTS_DIR
    stand_in = template / relative if template is not None and not is_post else None
    staged.unlink()
    if stand_in is not None and stand_in.is_file() and not stand_in.is_symlink():
        os.symlink(stand_in, staged)
        return f" (the template's {relative.as_posix()} in its place)"
    return ""


def forced_config(staging: Path, out: Path, report: Path | None = None) -> dict:
    """The config keys the build sets whatever the template's config says (of the archive's, only
    sitefiles.HONOURED_CONFIG reaches Jekyll): every key by which Jekyll would read or write outside
    the staging tree and the output folder (a cache, its .gitignore, plugins, layouts, includes, data,
    collections from elsewhere), the links it must follow (safe mode would skip them), the marker the
    output folder keeps (check_output) and where site/_plugins/finews_report.rb says what was written."""
    return {
        "source": str(staging),
        "destination": str(out),
        "safe": False,  # safe mode would skip every staged link and the list-page plugins
        "cache_dir": ".jekyll-cache",  # in the temporary staging folder (never staged from the archive)
        "disable_disk_cache": True,
        "incremental": False,  # no .jekyll-metadata
        "plugins_dir": "_plugins",
        "layouts_dir": "_layouts",
        "includes_dir": "_includes",
        "data_dir": "_data",
        "collections_dir": "",
        "sass": {"sass_dir": "_sass", "load_paths": []},
        "keep_files": [".git", ".svn", layout.SITE_MARKER, SEARCH_FOLDER],  # crawler/tools/search.py's
        "include": [],  # not even .htaccess: a web server's own rules (AddType text/html .png) are no page's
        "finews_report": str(report) if report is not None else "",
        "strict_front_matter": True,
    }


def _release() -> str:
    """The release of finews-crawler that builds (its installed version; "" when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("finews-crawler")
    except PackageNotFoundError:
        return ""


def _count(number: int, noun: str) -> str:
    return "" if not number else f"{number} {noun}{'s' if number > 1 else ''}"


def _honoured_config(root: Path, temp: Path) -> list[Path]:
    """The keys of the archive's config the site honours (sitefiles.archive_config), written to a file
    in `temp` for Jekyll to merge over the template's; none when there are none. A config that is a
    link out of the archive, or cannot be read, is named on stderr and the template's stands alone."""
    config = archive_config(root)
    if config.path is None:
        return []
    if config.error:
        print(
            f"skipped {config.path}: it cannot be read ({config.error}); the template's config alone", file=sys.stderr
        )
        return []
    path = temp / "finews-archive-config.yml"
    path.write_text(json.dumps(config.honoured, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return [path]


def _configs(folder: Path, allowed: Path, where: str) -> list[Path]:
    """The config file of a site folder, as Jekyll picks it (the first of _config.yml, .yaml, .toml), when
    it is a regular file inside `allowed` (a link elsewhere is named on stderr and left out)."""
    for name in CONFIG_NAMES:
        path = folder / name
        if os.path.lexists(path):
            real = _published(path, allowed, set(), where)
            return [real] if real is not None and real.is_file() else []
    return []


def check_output(root: Path, out: Path, template: Path | None = None, checkout: Path | None = None) -> Path:
    """The real folder `out` names (every symbolic link on the way resolved, the rules applied to the
    folder itself), when the build may empty it: VerbFailed(USAGE), one line, when it holds or lies in
    the archive (but for the archive's own `_site`), the template or the finews-crawler checkout, or
    is neither missing, nor empty, nor a site an earlier build made (its marker file)."""
    root, real = root.resolve(), out.resolve()
    site = root / layout.SITE_DIR
    own_site = real.is_relative_to(site)
    places = [(root, own_site), (template, False), *((folder, own_site) for folder in checkouts(template, checkout))]
    for folder, allowed_inside in places:
        if folder is not None and (folder.is_relative_to(real) or (real.is_relative_to(folder) and not allowed_inside)):
            raise VerbFailed(
                ExitStatus.USAGE,
                f"--out {out} would hold or be inside the archive or the site template or the checkout "
                f"{folder} (Jekyll empties its output folder): give the site a folder of its own, such as {site}",
            )
    if os.path.lexists(real) and not real.is_dir():
        raise VerbFailed(ExitStatus.USAGE, f"--out {out} is not a folder: give the site a folder of its own")
    if real.is_dir() and not _marked(real) and any(real.iterdir()):
        raise VerbFailed(
            ExitStatus.USAGE,
            f"--out {out} holds files and no {layout.SITE_MARKER} (the mark of a site `scrapy archive build` made), "
            "and Jekyll would delete them: give a new or empty folder (nothing was changed)",
        )
    for folder, names, files in os.walk(real) if real.is_dir() else ():  # a build makes no link: one is foreign
        for name in names + files:
            path = os.path.join(folder, name)
            stat = os.lstat(path)
            shared = name in files and not os.path.islink(path) and stat.st_nlink > 1
            kind = "symbolic link" if os.path.islink(path) else "hard link" if shared else None
            if kind is not None:
                raise VerbFailed(
                    ExitStatus.USAGE,
                    f"--out {out} holds a {kind} {path}: a build never writes through one, as Jekyll would "
                    "write into the file it shares (remove it; nothing was changed)",
                )
    return real


def _marked(folder: Path) -> bool:
    marker = folder / layout.SITE_MARKER
    return marker.is_file() and not marker.is_symlink()


def checkouts(template: Path | None, checkout: Path | None) -> list[Path]:
    """The finews-crawler checkouts a build must never empty: the one the command runs in (the folder of
    the scrapy.cfg Scrapy found), and the template's parent when it holds a scrapy.cfg (a bundled site/)."""
    found = [checkout.resolve()] if checkout is not None else []
    if template is not None and (template.parent / CHECKOUT_FILE).is_file() and template.parent not in found:
        found.append(template.parent)
    return found


def _run(command: list[str], name: str, cwd: Path, explain=lambda line: line, env: dict | None = None) -> None:
    """Run a tool; BuildFailed with its error line when it fails, else its warnings of this project's
    plugins (`finews:`, a post left as it asked not to be) each on a line of stderr."""
    if shutil.which(command[0]) is None and not Path(command[0]).is_file():
        raise ToolMissing(f"{name}: {command[0]} is not installed (Debian: apt-get install jekyll)")
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    if process.returncode != 0:
        line = _error_line(process.stdout + process.stderr)
        raise BuildFailed(f"{name} failed: {explain(line)}", line=line)
    for line in _ANSI_RE.sub("", process.stdout + process.stderr).splitlines():
        if line.strip().startswith(PLUGIN_WARNING):
            print(explain(line.strip()), file=sys.stderr)


def _error_line(output: str) -> str:
    """The line of a tool's output that says what went wrong (else its last line), without colours."""
    lines = [line.strip() for line in _ANSI_RE.sub("", output).splitlines() if line.strip()]
    headed = [n for n, line in enumerate(lines) if line == _JEKYLL_HEADING]
    after = [line for line in lines[headed[0] + 1 :] if not _HEADING_RE.fullmatch(line)] if headed else []
    if after:  # Jekyll's own heading: the line after it says what went wrong
        return after[0]
    lines = [line for line in lines if not _HEADING_RE.fullmatch(line)]
    for line in lines:
        if _SAYS_ERROR_RE.search(line):
            return line
    raised = [line for line in lines if _RUBY_RAISED_RE.search(line) and "(SystemExit)" not in line]
    return raised[0] if raised else lines[-1] if lines else "no output"  # raised: `<where>: <message> (<class>)`
