"""Incremental builds: what an earlier build made (its manifest in the site folder), what changed since,
and an update's files merged into the site.

A build into a site folder an earlier build made is an update when the manifest there
(MANIFEST_NAME) says what that build was made of and nothing but posts, pages and static files
changed since: the same theme (every staged layout, include, data, Sass and plugin file), the same
config, the same Jekyll. Jekyll then reads every post as always, and renders and writes only the
new and changed posts, every page of the lists they are on now or were on before, every page that
is no list page, and the new and changed static files (site/_plugins/finews_update.rb), into a
temporary folder; merge() puts those files in the site and removes every file that is no longer
one. The result is the site a full build makes (tests/test_incremental_build.py).

A post, page or static file is changed when its bytes are: the size, time and inode of each file
are kept, and a file whose stat differs is hashed (a fresh git checkout touches every file and
changes none). The archive's own layouts or includes that read what an update does not render
again (other posts, the lists, site.data, page.next) make every build full (why_full).
The manifest is removed when a build starts and written when it ends: a build stopped midway
leaves a site the next build makes in full.
"""

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive import layout

MANIFEST_NAME = layout.SITE_MANIFEST
FORMAT = 3  # of the manifest: a build of another format is built again in full
THEME_PARTS = ("_layouts", "_includes", "_data", "_sass", "_plugins")  # staged folders that change every page
KEPT = (".git", ".svn", layout.SITE_MARKER, MANIFEST_NAME, "pagefind")  # in the site folder, never the update's

# What a layout or include of the archive may read of `site` and stay exact under updates (it wraps
# posts and list pages an update does not render again): its settings. And what a page of the
# archive (rendered by every update) must not read: the posts, of which an update reads only some.
SETTINGS_READ = {"title", "description", "baseurl", "url", "lang", "timezone", "author", "email"}
POSTS_READ = {"posts", "categories", "tags", "documents", "collections", "related_posts"}
_LIQUID_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_SITE_RE = re.compile(r"\bsite\b\s*(?:\.\s*(\w+)|(\[))?")
_NEIGHBOURS_RE = re.compile(r"\bpage\s*(?:\.\s*(?:next|previous)\b|\[)|\bpaginator\b|\brelated_posts\b")
_POST_TAGS_RE = re.compile(
    r"\b(?:post_url|link|include_relative)\b"
)  # a tag (or {% liquid %} line) that looks up a file


@dataclass
class Signature:
    """A file as a build saw it: stat (to notice a change cheaply) and its bytes' hash (to be sure)."""

    size: int
    mtime_ns: int
    inode: int
    sha1: str
    liquid: bool = False  # a post's: it holds Liquid Jekyll runs (no `render_with_liquid: false`)

    @classmethod
    def of(cls, path: Path, earlier: "Signature | None" = None) -> "Signature":
        stat = path.stat()
        if earlier is not None and (earlier.size, earlier.mtime_ns, earlier.inode) == (
            stat.st_size,
            stat.st_mtime_ns,
            stat.st_ino,
        ):
            return earlier
        data = path.read_bytes()
        liquid = _LIQUID_MARK_RE.search(data) is not None and _NO_LIQUID_RE.search(data) is None
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino, hashlib.sha1(data).hexdigest(), liquid)

    def as_list(self) -> list:
        return [self.size, self.mtime_ns, self.inode, self.sha1, self.liquid]


_LIQUID_MARK_RE = re.compile(rb"\{\{|\{%")
_NO_LIQUID_RE = re.compile(rb"^render_with_liquid:[ \t]*false[ \t]*\r?$", re.M)


@dataclass
class Manifest:
    """What a build was made of: the theme's fingerprint, Jekyll's version, every post (its signature,
    its file in the site, its lists) and every other staged file (its signature)."""

    fingerprint: str
    jekyll: str = ""
    posts: dict[str, dict] = field(default_factory=dict)  # name -> {"sig": [...], "file": str, "lists": [...]}
    files: dict[str, list] = field(default_factory=dict)  # staged path -> signature list
    site: dict[str, list] = field(default_factory=dict)  # every file of the site folder -> [size, mtime in s]

    def post_signature(self, name: str) -> Signature | None:
        post = self.posts.get(name)
        return Signature(*post["sig"]) if post else None

    def file_signature(self, path: str) -> Signature | None:
        return Signature(*self.files[path]) if path in self.files else None


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of the build that made `out`, or None (none, unreadable, another format, or any
    entry not as a build writes it: the site folder may be one someone else made)."""
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        manifest = Manifest(data["fingerprint"], data["jekyll"], data["posts"], data["files"], data["site"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest if data.get("format") == FORMAT and _well_formed(manifest) else None


_SIGNATURE = (int, int, int, str, bool)
_TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[+-]\d\d:\d\d|Z)")  # Time#iso8601(9)
_SITE_PATH_RE = re.compile(r"/(?![/\\])[^\x00-\x1f\x7f\\]*")  # a path of the site: no scheme, host or control


def _file_of(url: str) -> str:
    """The file of a site a URL path names (as Jekyll writes it), without a folder's index.html."""
    from urllib.parse import unquote

    return unquote(url).lstrip("/")


def _well_formed(manifest: Manifest) -> bool:
    """Whether every entry of a manifest is of the kinds and values a build writes: signatures of four,
    posts' files relative paths in the site, their URLs paths of the site, their lists texts."""

    def signature(value: object) -> bool:
        return isinstance(value, list) and len(value) == 5 and all(map(isinstance, value, _SIGNATURE))

    def relative(path: object) -> bool:
        return isinstance(path, str) and bool(path) and not path.startswith("/") and ".." not in path.split("/")

    def post(entry: object) -> bool:
        if not isinstance(entry, dict) or not signature(entry.get("sig")) or not relative(entry.get("file")):
            return False
        lists, listed = entry.get("lists"), entry.get("entry")
        return (
            isinstance(lists, list)
            and all(isinstance(key, str) for key in lists)
            and isinstance(entry.get("date"), str)
            and isinstance(entry.get("reread"), bool)
            and isinstance(listed, dict)
            and isinstance(listed.get("url"), str)
            and _SITE_PATH_RE.fullmatch(listed["url"]) is not None
            and all(isinstance(listed.get(key), str) for key in ("date", "category", "tag"))
            and _TIME_RE.fullmatch(listed["date"]) is not None
            and _file_of(listed["url"]) in (entry["file"], entry["file"].removesuffix("index.html"))
            and (
                "stocks" not in listed
                or (isinstance(listed["stocks"], list) and all(isinstance(s, str) for s in listed["stocks"]))
            )
        )

    return (
        isinstance(manifest.fingerprint, str)
        and isinstance(manifest.jekyll, str)
        and isinstance(manifest.posts, dict)
        and all(post(entry) for entry in manifest.posts.values())
        and isinstance(manifest.files, dict)
        and all(signature(value) for value in manifest.files.values())
        and isinstance(manifest.site, dict)
        and all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) for n in v) for v in manifest.site.values()
        )
    )


def forget(out: Path) -> None:
    """Remove the manifest: until a build ends, the site folder is no base for an update."""
    path = out / MANIFEST_NAME
    if path.is_dir() and not path.is_symlink():  # no build made that: a folder of its name goes too
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remember(out: Path, manifest: Manifest) -> None:
    """Write the manifest of the build that just made `out` (atomically: a whole one or none)."""
    data = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "jekyll": manifest.jekyll,
        "posts": manifest.posts,
        "files": manifest.files,
        "site": manifest.site,
    }
    temporary = out / f"{MANIFEST_NAME}.tmp"
    temporary.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, out / MANIFEST_NAME)


def site_stats(out: Path) -> dict[str, list[int]]:
    """Every file of the site folder (but the manifest) -> [size, modification time in whole seconds].
    An update trusts the files of the site it does not write only when these are as the last build left
    them: a site folder copied, restored or checked out anew with other files, or a file edited, makes
    a full build (a git checkout of a site folder someone committed has fresh times; a cache restore
    keeps them)."""
    stats: dict[str, list[int]] = {}
    folders = [("", os.fspath(out))]
    while folders:  # os.scandir: one system call per file (a site has 100,000 and more)
        relative, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = f"{relative}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    folders.append((f"{path}/", entry.path))
                elif path != MANIFEST_NAME:
                    stat = entry.stat(follow_symlinks=False)
                    stats[path] = [stat.st_size, int(stat.st_mtime)]
    return stats


def staged_files(staging: Path, posts_dir: str) -> dict[str, Path]:
    """Every staged file but the posts: its path in the staging tree -> the real file (links resolved)."""
    found = {}
    for folder, names, files in os.walk(staging):
        relative = Path(folder).relative_to(staging)
        if relative.parts[:1] == (posts_dir,):
            names.clear()
            continue
        for name in files:
            path = Path(folder) / name
            found[(relative / name).as_posix()] = Path(os.readlink(path)) if path.is_symlink() else path
    return found


def fingerprint(
    files: Mapping[str, Path], signatures: Mapping[str, Signature], configs: Iterable[Path], forced: bytes
) -> str:
    """A hash of what every page of a build depends on: the theme's staged files, the configs and the
    keys the build sets (`forced`)."""
    digest = hashlib.sha1(f"finews-build {FORMAT}\n".encode() + forced + b"\n")
    for path in sorted(files):
        if path.split("/", 1)[0] in THEME_PARTS:
            digest.update(f"{path}\0{signatures[path].sha1}\n".encode("utf-8", "surrogateescape"))
    for config in configs:
        digest.update(b"config\0" + Path(config).read_bytes() + b"\n")
    return digest.hexdigest()


def why_full(
    files: Mapping[str, Path], template: Path | None, posts: Mapping[str, Signature] | None = None
) -> str | None:
    """Why an update of this staging tree might not equal a full build (then every build is full): a
    layout or include of the archive's own that reads more of `site` than its settings, or a post's
    neighbours (`page[...]` counts as that); a page, layout or include of the archive's own that reads
    the posts, or looks one up (`post_url`, `link`: an update reads only some). `site` named bare
    (`assign s = site`) or by a `[...]` counts as reading all of it. And a post (of `posts`) that holds
    Liquid Jekyll runs: it may read the other posts, of which an update reads only some."""
    liquid = next((name for name, signature in sorted((posts or {}).items()) if signature.liquid), None)
    if liquid is not None:
        return f"the post {liquid} holds Liquid (scrapy archive doctor --fix makes it text)"
    for path, real in sorted(files.items()):
        theme = path.split("/", 1)[0] in ("_layouts", "_includes")
        if template is not None and real.is_relative_to(template):
            continue
        with open(real, "rb") as file:
            if not theme and file.read(3) != b"---":  # no front matter: a static file, never rendered
                continue
        text = real.read_text(encoding="utf-8", errors="replace")
        for tag in _LIQUID_RE.findall(text):
            named = _POST_TAGS_RE.search(tag) if tag.startswith("{%") else None
            if named:
                return f"the archive's {path} looks a file up ({named[0]}), which an update may not read"
            for read in _SITE_RE.finditer(tag):
                name = read[1]
                if name is None or (name not in SETTINGS_READ if theme else name in POSTS_READ):
                    return f"the archive's {path} reads {read[0].strip()}, which an update does not render again"
            found = _NEIGHBOURS_RE.search(tag) if theme else None
            if found:
                return f"the archive's {path} reads {found[0]}, which an update does not render again"
    return None


@dataclass
class UpdatePlan:
    """What an update renders (site/_plugins/finews_update.rb reads it as JSON)."""

    posts: list[str]  # new and changed posts, by file name
    lists: list[str]  # the lists the changed and removed posts were on (their lists now: the plugin adds them)
    files: list[str]  # new and changed static files (and pages: rendered anyway), by staged path
    removed: list[str]  # posts gone since, by file name

    def as_json(self, elsewhere: list[dict]) -> str:
        """The plan as finews_update.rb reads it, with what the earlier build knew of the posts not staged."""
        known = [{"name": post["name"], "file": post["file"], "entry": post["entry"]} for post in elsewhere]
        return json.dumps({"posts": self.posts, "lists": self.lists, "files": self.files, "elsewhere": known})


def plan(earlier: Manifest, posts: Mapping[str, Signature], files: Mapping[str, Signature]) -> UpdatePlan:
    """What changed since the `earlier` build, given every post's and other staged file's signature now."""
    changed = sorted(name for name, sig in posts.items() if _bytes_differ(earlier.post_signature(name), sig))
    removed = sorted(set(earlier.posts) - set(posts))
    lists = sorted(
        {key for name in (*changed, *removed) if name in earlier.posts for key in earlier.posts[name]["lists"]}
    )
    new_files = sorted(path for path, sig in files.items() if _bytes_differ(earlier.file_signature(path), sig))
    return UpdatePlan(changed, lists, new_files, removed)


def _bytes_differ(earlier: Signature | None, now: Signature) -> bool:
    """Whether a file's bytes changed (a new time or inode alone is no change: a fresh checkout)."""
    return earlier is None or (earlier.size, earlier.sha1) != (now.size, now.sha1)


def kept(post: Mapping) -> dict:
    """What the manifest keeps of a post a build reported (finews_report.rb), or of its own entry."""
    return {key: post[key] for key in ("file", "date", "lists", "entry", "reread")}


def reread(post: Mapping) -> bool:
    """Whether an update reads a post again though it did not change: its URL may move (a permalink of
    its own), or its list entry is nothing JSON keeps as Jekyll reads it (a title that is a date)."""
    return post.get("reread") is True


def moved_posts(earlier: Manifest, reported: list[dict], rendered: set[str]) -> list[str]:
    """Posts an update did not render whose file in the site is not where the earlier build put it
    (a page now takes a post's own permalink, say): the update is not exact, a full build must follow."""
    return [
        post["name"]
        for post in reported
        if post["name"] not in rendered and earlier.posts.get(post["name"], {}).get("file") != post["file"]
    ]


def merge(update: Path, out: Path, site_files: Iterable[str]) -> tuple[int, int]:
    """Put the files an update wrote (in `update`) into the site folder `out`, each atomically, a file
    of the same bytes left as it is; then remove from `out` every file that is none of `site_files`
    (all the files of the site now), but what a site folder keeps (KEPT), and the folders left empty.
    Returns the files written and removed."""
    written = removed = 0
    for folder, _, names in os.walk(update):
        for name in names:
            source = Path(folder) / name
            relative = source.relative_to(update)
            if relative.parts[0] in KEPT:  # never the site's (finews_post_urls.rb leaves such files out)
                continue
            target = out / relative
            if target.is_file() and not target.is_symlink() and _same_bytes(source, target):
                continue
            _make_folders(out, relative.parent)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            temporary = target.with_name(f".{name}.update")
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
            written += 1
    keep = set(site_files)
    for folder, names, files in os.walk(out, topdown=False):
        relative = Path(folder).relative_to(out)
        if relative.parts and relative.parts[0] in KEPT:
            continue
        for name in files:
            path = (relative / name).as_posix()
            if path not in keep and not (not relative.parts and name in KEPT):
                (Path(folder) / name).unlink()
                removed += 1
        for name in names:
            path = Path(folder) / name
            if not (not relative.parts and name in KEPT) and not path.is_symlink() and not any(path.iterdir()):
                path.rmdir()
    return written, removed


def _same_bytes(one: Path, other: Path) -> bool:
    return one.stat().st_size == other.stat().st_size and one.read_bytes() == other.read_bytes()


def _make_folders(out: Path, relative: Path) -> None:
    """The folders of `relative` under `out`, a file in the way of one removed (the new site has a folder there)."""
    path = out
    for part in relative.parts:
        path = path / part
        if (path.is_file() or path.is_symlink()) and not path.is_dir():
            path.unlink()
        path.mkdir(exist_ok=True)
