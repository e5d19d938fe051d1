"""`scrapy archive doctor`: find, and with --fix repair, what the old scripts left in the archive.

Options: --fix (repair what can be repaired, under every feed's lock), --report FILE (the findings
as JSON). Exit status 0: no problem (notes aside); 1: problems found, or left after --fix.

One pass reads every post of `_posts/` and of the old-posts folder, every file Jekyll would skip
there, and every page, static document and theme file the site is made of (crawler/tools/sitefiles.py),
and lists findings. A finding is a *problem* when there is a repair, or
a *note* when a person must judge (report only). Problems (kind: what --fix does):
- bad_front_matter: the front matter is not YAML as Jekyll (Psych, YAML 1.1) reads it. When the
  `title:` line is what breaks it (a `"` or `\\` written inside "..."), the title's text is
  written back as valid YAML; anything else cannot be recovered here (a problem --fix leaves).
- liquid: the text holds Liquid (`{{`, `{%`) and no `render_with_liquid: false`: the line is added
  (one `{%` that is not valid Liquid aborts the whole `jekyll build`).
- empty_feed_item: `-<id>.md` with an empty title and date: moved to the quarantine.
- duplicate_key: one post key in two files (both folders: two generations of one item): the copy
  in the older format (else the one in the old-posts folder) is moved to the quarantine.
- leftover_temp_file: a temp file of a killed run: moved to the quarantine.
- missing_index_page: a category a post uses has no page, or the emnews posts no index page: it is
  written as the crawler writes it, titled from the category's posts' `tags`.
- wrong_category_title: a category page is titled otherwise than `<source>新闻` of its posts' tags
  (another media's name, or the early `slug.title()` form): its `title:` line is rewritten.
- yaml_not_string: a plain value of a string field (title, categories, tags, category, layout,
  permalink) of a post or page that Jekyll's YAML (Psych) may read as no string (`:x` is a Symbol
  that stops the build; yes, 12:30, 2024-01-01), or that begins with a YAML indicator and reads as
  null, "" or a refusal (`title: |`, `title: !x`; _strings_to_quote): the value is written quoted,
  also when it is what makes the whole front matter unreadable.
- executable_content: a post's or page's body holds what could run script once kramdown and a
  browser read it (executable_content(): elements, event handlers, non-web URLs in any spelling,
  data-pagefind-*, Markdown links and references, kramdown attribute lists and extensions outside
  raw HTML blocks): the original moved byte for byte to the quarantine, and in its place its front
  matter and its body through the crawled bodies' sanitizer (cleaned_body()). A static document
  (HTML, SVG, XML without front matter) that runs script (scripts_in_document()) is moved to the
  quarantine: it is published byte for byte.
- unreadable_page: a page Jekyll cannot read (the build leaves it out): an index page of a category
  with posts is moved to the quarantine and written as the crawler writes it; another page is
  repaired as a post's front matter is, or left to a person.
Repairs run in phases (_in_phases): moves to the quarantine first, so a file is quarantined as it
was; a file that leaves gets no other repair. A post with a UTF-8 BOM is read without it (Jekyll
reads posts "bom|utf-8"); a rewrite keeps it. A category with a slash or a control character is
a bad_field: it never becomes a path.
Problems a person must repair (--fix leaves them; exit status 1):
- unreadable: a post that cannot be read (no read permission): Jekyll could not build it either.
- bad_field: a title, categories or tags that is no scalar or flat list of scalars (never expanded:
  a few nested aliases are billions of items), or a category whose page name is unsafe (too long):
  export and maintain skip the post, and its category is not judged here.
Notes: no_title, bad_date (invalid, or not the file name's Beijing day), skipped_name (a file of a
posts folder the build does not publish), case_collision (paths that differ in case only),
unjudged_category (a page whose category no post here uses: left as it is), bad_index_page (an
index page with no usable title line), theme_script (script in the archive's layouts or includes:
the owner's code, never rewritten), unusable_file (a problem: data Jekyll cannot read, Sass that
loads a file from outside the site: the build skips it), config_not_honoured (a key of the archive's _config.yml the
build leaves out: sitefiles.HONOURED_CONFIG). A _config.yml that cannot be read is a bad_config
problem (the build then uses the template's alone).

Posts are read as every command reads them (crawler/tools/posts.py: the file's bytes as UTF-8,
its fields by the same readers). A posts or index folder that cannot be listed is an OSError
naming it (exit status 6): no diagnosis of an archive it cannot see.

--fix holds both feeds' locks, writes each file atomically, changes nothing else of any file
(line endings, missing final newlines and every other byte stay), and never deletes: files
are moved into `_finews_quarantine/` (inside the archive; Jekyll does not publish `_` folders).
"""

import json
import os
import re
from argparse import Namespace
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crawler.archive import FEEDS, Archive, layout
from crawler.archive.feeds import feed_of_category
from crawler.archive.files import atomic_writer, file_text
from crawler.archive.frontmatter import NoFrontMatter, front_matter_text, read_front_matter, split_front_matter
from crawler.archive.index import post_files
from crawler.archive.render import has_liquid, plain_is_string, yaml_quoted, yaml_scalar
from crawler.archive.slugs import UNSAFE_IN_SLUG
from crawler.exitstatus import ExitStatus
from crawler.items import SHANGHAI, iso_beijing
from crawler.tools.executable import cleaned_body, executable_content, scripts_in_document
from crawler.tools.posts import post_categories, post_date, post_tags, post_title, without_bom
from crawler.tools.sitefiles import (
    archive_config,
    document_readings,
    is_document,
    is_page,
    is_theme,
    site_files,
    why_not_staged,
)
from crawler.tools.verb import Option, Verb, VerbFailed

_TITLE_LINE = re.compile(r"^title:[ \t]*(.*?)(\r?)$", re.M)
_GUARD_LINE = re.compile(r"^render_with_liquid:.*?(\r?)$", re.M)
# A one-line value of a string field of a post or page (not quoted, no flow collection), its trailing
# comment and spaces left out: yaml_not_string (_strings_to_quote).
_FIELD_LINE = re.compile(
    r"^(layout|title|categories|tags|category|permalink):[ \t]+(?![\"'\[{])(\S.*?)(?:[ \t]+#.*?)?[ \t]*\r?$", re.M
)
_INDICATORS = "|>!&*#%@`"


class Doctor(Verb):
    name = "doctor"
    summary = "check every post and page for what the old scripts left behind; --fix repairs"
    options = (
        Option(("--fix",), "repair what can be repaired (under every feed's lock)", {"action": "store_true"}),
        Option(("--report",), "write the findings as JSON to FILE", {"metavar": "FILE"}, writes_file=True),
    )
    when_locked = "nothing was changed"

    def needs_locks(self, opts: Namespace) -> bool:
        return opts.fix  # a diagnosis only reads, and may run beside a crawl

    def posts_lock(self, opts: Namespace) -> str | None:
        return "exclusive" if opts.fix else None

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        doctor = Checkup(archive)
        found = doctor.diagnose()
        if opts.fix:
            found = doctor.repair()
        for finding in found.findings:
            state = "fixed" if finding.fixed else ("note" if finding.note else "problem")  # notes: report only
            print(f"{state:8} {finding.kind:21} {finding.file}: {finding.detail} -> {finding.fix}")
        notes, fixed = sum(f.note for f in found.findings), sum(f.fixed for f in found.findings)
        fixed_text = f", {fixed} fixed" if opts.fix else ""
        print(f"{found.posts} posts, {found.pages} pages: {len(found.problems)} problems{fixed_text}, {notes} notes")
        if opts.report:
            try:
                with atomic_writer(Path(opts.report), f".{Path(opts.report).name}-") as out:
                    json.dump(found.as_json(), out, ensure_ascii=False, indent=1)
            except OSError as exc:
                raise VerbFailed(ExitStatus.NOT_WRITABLE, f"cannot write {opts.report}: {exc}") from None
        return ExitStatus.FAILED if found.problems else ExitStatus.OK


@dataclass
class Finding:
    kind: str
    file: str  # relative to the archive
    detail: str
    fix: str  # what --fix does (or why it cannot)
    fixable: bool = True
    fixed: bool = False
    note: bool = False  # report only: a person must judge; does not count as a problem


@dataclass
class Post:
    path: Path
    text: str
    front: dict | None  # None: unreadable
    error: str = ""
    readable: bool = True  # False: the file itself could not be read
    category: str | None = None  # None: none, or not usable (its index page is not judged)
    tags: str = ""


@dataclass
class Diagnosis:
    findings: list[Finding] = field(default_factory=list)
    posts: int = 0
    pages: int = 0

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.note and not f.fixed]

    def as_json(self) -> dict:
        return {"posts": self.posts, "pages": self.pages, "findings": [asdict(f) for f in self.findings]}


class Checkup:
    """Diagnose (and repair) one archive; the caller holds both feeds' locks for repair()."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.root = archive.root
        self.found = Diagnosis()
        self._repairs: list = []  # (finding, function) to run on repair()
        self._leaving: set[str] = set()  # files the repairs move to the quarantine
        self._judged: set[Path] = set()  # pages already found unreadable (index pages, by their posts)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def add(
        self,
        kind: str,
        path: Path,
        detail: str,
        fix: str,
        repair: Callable[[], None] | None = None,
        note: bool | None = None,
    ) -> None:
        """A finding; with `repair` a problem --fix repairs, else a note (or, with note=False, a problem
        a person must repair)."""
        detail = detail if len(detail) <= 300 else detail[:299] + "…"  # a file's text never floods the report
        finding = Finding(
            kind, self.rel(path), detail, fix, fixable=repair is not None, note=repair is None if note is None else note
        )
        self.found.findings.append(finding)
        if repair is not None:
            self._repairs.append((finding, repair))

    # --- diagnosis ------------------------------------------------------------------------------
    def diagnose(self) -> Diagnosis:
        posts = [self.read(path) for folder in self.archive.index_dirs for path in post_files(folder)]
        self.found.posts = len(posts)
        self.check_names()
        keys: dict[str, list[Post]] = defaultdict(list)
        for post in posts:
            keys[layout.post_key(post.path.name)].append(post)
            self.check_post(post)
        for key, copies in keys.items():
            if len(copies) > 1:
                self.check_duplicate(key, copies)
        self.check_index_pages([p for p in posts if p.category and not self.quarantined(p.path)])
        self.check_case_collisions()
        pages = self.check_site_files()
        self.check_config()
        self.check_yaml_strings([(post.path, post.text) for post in posts if post.front is not None] + pages)
        return self.found

    def read(self, path: Path) -> Post:
        try:
            _, text = without_bom(file_text(path))  # as Jekyll reads a post ("bom|utf-8")
        except UnicodeDecodeError as exc:
            return Post(path, "", None, f"not UTF-8: {exc}")
        except OSError as exc:  # no read permission (or no longer a regular file)
            return Post(path, "", None, f"cannot be read: {exc.strerror or exc}", readable=False)
        front, error = _front_matter(text)
        return Post(path, text, front, error)

    def quarantined(self, path: Path) -> bool:
        return self.rel(path) in self._leaving

    def check_names(self) -> None:
        """Files of the posts folders that Jekyll skips: empty feed items, temp files, other names."""
        for folder in self.archive.index_dirs:
            if not folder.is_dir():
                continue
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                name = path.name
                if layout.is_temp_file(name):
                    self.add(
                        "leftover_temp_file",
                        path,
                        "a temp file of a run that was killed",
                        "moved to the quarantine",
                        self.quarantine(path),
                    )
                elif name.startswith("-") and name.endswith(".md") and _empty_item(path):
                    self.add(
                        "empty_feed_item",
                        path,
                        "an empty 7x24 item: no title, no date",
                        "moved to the quarantine",
                        self.quarantine(path),
                    )
                elif layout.post_key(name) is None and not name.startswith("."):
                    self.add(
                        "skipped_name",
                        path,
                        "not published: not YYYY-MM-DD-<key>.md",
                        "report only: rename or remove it",
                    )

    def check_post(self, post: Post) -> None:
        path, front = post.path, post.front
        if not post.readable:
            self.add("unreadable", path, post.error, "none here: make it readable (its permissions)", note=False)
            return
        if front is None:
            recovered = self.recover(path, post.text, post.error, "none here: not the title line; fix it by hand")
            if recovered is None:
                if post.text:  # Jekyll's YAML may read what this one cannot: the body is checked all the same
                    self.check_executable(path, post.text)
                return
            post.text, post.front = recovered
            front = post.front
        self.check_fields(post)
        self.check_date(post)
        if has_liquid(post.text) and front.get("render_with_liquid") is not False:
            self.add(
                "liquid",
                path,
                "Liquid markup ({{ or {%) without render_with_liquid: false",
                "render_with_liquid: false added",
                self.rewrite(path, _add_guard),
            )
        self.check_executable(path, post.text)

    def recover(
        self, path: Path, text: str, error: str, otherwise: str, kind: str = "bad_front_matter"
    ) -> tuple[str, dict] | None:
        """A front matter Jekyll cannot read, repaired when one line is what breaks it: the title written
        as valid YAML (bad_front_matter), or values an old script wrote as they came written quoted
        (yaml_not_string); else a problem a person must repair (`otherwise` says so). Returns the text
        and fields the repair makes."""
        values = _strings_to_quote(text, None) if text else []
        for found, change, fix in (
            ("bad_front_matter", _recovered_title(text) if text else None, "the title line written as valid YAML"),
            ("yaml_not_string", _quoting(text, values), "the value written quoted"),
        ):
            if change is not None:
                detail = error if found == "bad_front_matter" else _not_string_detail(values)
                self.add(found, path, detail, fix, self.rewrite(path, change))
                return change(text), _front_matter(change(text))[0]
        self.add(kind, path, error, otherwise, note=False)
        return None

    def check_fields(self, post: Post) -> None:
        """Title, category and tags as every command reads them (crawler/tools/posts.py); a post with
        an unusable one is a bad_field problem, and its category is not judged."""
        unusable: list[str] = []
        title, category, tags = (
            _field(read, post.front, unusable) for read in (post_title, post_categories, post_tags)
        )
        if category:
            try:
                feed_of_category(category).index_path(category)
            except ValueError as exc:
                unusable.append(f"categories: {exc}")
            if not unusable and _unsafe_name(category):
                unusable.append(f"categories: unsafe category {category[:60]!r}")
        if unusable:
            self.add("bad_field", post.path, "; ".join(unusable), "none here: fix the front matter by hand", note=False)
        else:
            post.category, post.tags = category or None, tags
        if title is not None and not title.strip():
            self.add("no_title", post.path, "the front matter has no title", "report only")

    def check_executable(self, path: Path, text: str) -> None:
        """executable_content: the body of a post or page holds what could run script on the site."""
        found = executable_content(split_front_matter(text)[1])
        if found:
            self.add(
                "executable_content",
                path,
                "; ".join(dict.fromkeys(found)),
                "the body rewritten through the crawled bodies' sanitizer; the original kept in the quarantine",
                self.sanitize(path),
            )

    def check_site_files(self) -> list[tuple[Path, str]]:
        """Every page, theme file and static document of the site (crawler/tools/sitefiles.py): a page
        Jekyll cannot read (unreadable_page, a problem: the build leaves it out), executable content in
        a page (repaired like a post's; also in one whose front matter only Jekyll reads), in a static
        document (a problem: moved to the quarantine, as a static file is published byte for byte) or
        in the theme (theme_script, a note: the layouts and includes are the archive owner's code).
        Returns the pages read, with their text."""
        pages: list[tuple[Path, str]] = []
        for path in site_files(self.root, self.archive.old_posts_dir.relative_to(self.root).as_posix()):
            if self.quarantined(path) or path in self._judged:
                continue
            try:
                reason = why_not_staged(path, self.root)
                if reason is not None:
                    self.add(
                        "unusable_file", path, reason, "none here: the build skips it; a person fixes it", note=False
                    )
                elif is_page(path, self.root):
                    pages.extend(self.check_page(path, file_text(path)))
                elif is_theme(path, self.root) or is_document(path, self.root):
                    self.check_document(path, document_readings(path.read_bytes()))
            except UnicodeDecodeError as exc:  # a page only: Jekyll stops at it, and the build leaves it out
                self.add("unreadable_page", path, f"not UTF-8: {exc}", "none here: fix it by hand", note=False)
            except OSError as exc:
                self.add("unreadable_page", path, f"cannot be read: {exc.strerror or exc}", "none here", note=False)
        self.found.pages = len(pages)
        return pages

    def check_config(self) -> None:
        """The archive's _config.yml as the build reads it (sitefiles.archive_config): one that cannot be
        read is a problem (the build uses the template's alone); each key the site does not honour, a note."""
        config = archive_config(self.root)
        if config.error:
            self.add("bad_config", config.path, config.error, "none here: the build uses the template's", note=False)
        for reason in config.left_out:
            self.add("config_not_honoured", config.path, reason, "report only: the build leaves it out")

    def check_page(self, path: Path, text: str) -> list[tuple[Path, str]]:
        """A page: its front matter repaired as a post's when one line breaks it, its body checked for
        executable content whether or not its front matter reads here (Jekyll's YAML reads more)."""
        front, error = _front_matter(text)
        recovered = None
        if front is None:
            recovered = self.recover(path, text, error, "none here: fix its front matter by hand", "unreadable_page")
            text = recovered[0] if recovered is not None else text
        self.check_executable(path, text)
        return [(path, text)] if front is not None or recovered is not None else []

    def check_document(self, path: Path, readings: list[str]) -> None:
        """A theme file (a note) or a static document (a problem) that runs script, in any reading of it."""
        found = "; ".join(dict.fromkeys(item for text in readings for item in scripts_in_document(text)))
        if not found:
            return
        if is_theme(path, self.root):
            self.add("theme_script", path, found, "report only: the theme's own code")
        else:
            self.add(
                "executable_content",
                path,
                f"{found} (a static file: published byte for byte)",
                "moved to the quarantine",
                self.quarantine(path),
            )

    def sanitize(self, path: Path) -> Callable[[], None]:
        """The repair of executable_content: the file moved as it is to the quarantine, then its front
        matter (byte for byte) and its body through cleaned_body() written in its place."""
        leaving = self.quarantined(path)
        move = self.quarantine(path)
        if not leaving:
            self._leaving.discard(self.rel(path))  # a copy stays: the other repairs apply to it

        def repair() -> None:
            bom, text = without_bom(file_text(path))
            front, body = split_front_matter(text)
            move()
            self.archive.write(path, bom + front + cleaned_body(body))

        repair.phase, repair.path = 1, self.rel(path)  # after the moves, before every rewrite
        return repair

    def check_date(self, post: Post) -> None:
        day = layout.post_day(post.path.name)
        try:
            moment = post_date(post.front, post.path.name)
        except ValueError as exc:
            self.add("bad_date", post.path, str(exc), "report only")
            return
        if day and moment.astimezone(SHANGHAI).date() != day:
            self.add(
                "bad_date",
                post.path,
                f"date {iso_beijing(moment)} is not the file name's day {day} (Beijing)",
                "report only",
            )

    def check_duplicate(self, key: str, copies: list[Post]) -> None:
        keep = max(copies, key=lambda p: (_generation(p), p.path.parent == self.archive.posts_dir))
        for post in copies:
            if post is not keep:
                self.add(
                    "duplicate_key",
                    post.path,
                    f"key {key} is also {self.rel(keep.path)}",
                    "moved to the quarantine (the newer-format copy stays)",
                    self.quarantine(post.path),
                )

    def check_index_pages(self, posts: list[Post]) -> None:
        sources: dict[str, Counter] = defaultdict(Counter)
        for post in posts:
            sources[post.category][feed_of_category(post.category).source_of_post(post.tags, "")] += 1
        pages = {page: feed for feed in FEEDS for page in _pages_in(self.root / feed.index_dir)}
        for category, counts in sorted(sources.items()):
            feed = feed_of_category(category)
            try:
                path = self.root / feed.index_path(category)
            except ValueError:
                continue
            source = counts.most_common(1)[0][0]
            try:
                text = feed.index_page(category, source)
            except ValueError:
                continue
            if not path.exists():
                self.add(
                    "missing_index_page",
                    path,
                    f"{sum(counts.values())} posts link to it",
                    "written as the crawler writes it",
                    self.write(path, text),
                )
                continue
            if not feed.category_per_source:  # a page titled from its posts' media name
                continue
            wanted = _page_title_of(text)
            try:
                page_text = file_text(path)
                front, error = _front_matter(page_text)
            except UnicodeDecodeError as exc:
                front, error = None, f"not UTF-8: {exc}"
            except OSError as exc:
                front, error = None, f"cannot be read: {exc.strerror or exc}"
            if front is None:  # Jekyll cannot read it either: the crawler's page in its place
                self.add(
                    "unreadable_page",
                    path,
                    error,
                    "moved to the quarantine and written as the crawler writes it",
                    self.replace(path, text),
                )
                self._judged.add(path)
                continue
            unusable: list[str] = []
            title = _field(post_title, front, unusable)
            if title is None or not _TITLE_LINE.search(front_matter_text(page_text)):
                self.add(
                    "bad_index_page",
                    path,
                    "; ".join(unusable) or "no title: line",
                    "report only: fix its front matter by hand (or delete it and --fix)",
                )
                continue
            if title != wanted:
                self.add(
                    "wrong_category_title",
                    path,
                    f"titled {title!r}; its posts say {wanted!r}",
                    f"title: {wanted}",
                    self.rewrite(path, _retitle(wanted)),
                )
        for page, feed in pages.items():
            if feed.category_per_source and feed.category_of_page(page) not in sources:
                self.add("unjudged_category", page, "no post here uses this category", "report only: left as it is")

    def check_case_collisions(self) -> None:
        seen: dict[str, Path] = {}
        folders = [*self.archive.index_dirs, *(self.root / feed.index_dir for feed in FEEDS)]
        for folder in folders:
            for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
                lower = self.rel(path).lower()
                if lower in seen and seen[lower] != path:
                    self.add(
                        "case_collision",
                        path,
                        f"differs from {self.rel(seen[lower])} in case only",
                        "report only: one overwrites the other on a case-insensitive file system",
                    )
                seen.setdefault(lower, path)

    def check_yaml_strings(self, files: list[tuple[Path, str]]) -> None:
        """yaml_not_string: a plain value of a string field of a post or a page that Jekyll (Psych) may
        read as no string (a Symbol it refuses, a date, number, boolean or null), by
        render.plain_is_string's rule; --fix writes the value quoted, as the crawler now does."""
        for path, text in files:
            if self.quarantined(path) or not _strings_to_quote(text, None):  # the lines alone: most files end here
                continue
            front = _front_matter(text)[0]
            values = _strings_to_quote(text, front)
            if not values or front is None:
                continue
            change = _quoting(text, values)
            if change is not None:
                self.add(
                    "yaml_not_string",
                    path,
                    _not_string_detail(values),
                    "the value written quoted",
                    self.rewrite(path, change),
                )
            else:
                self.add(
                    "yaml_not_string",
                    path,
                    _not_string_detail(values),
                    "none here: fix the front matter by hand",
                    note=False,
                )

    # --- repairs ----------------------------------------------------------------------------------
    def rewrite(self, path: Path, change: Callable[[str], str]) -> Callable[[], None]:
        def repair() -> None:
            bom, text = without_bom(file_text(path))
            self.archive.write(path, bom + change(text))  # every other byte as it was

        repair.path = self.rel(path)  # not run when the file leaves for the quarantine (repair())
        return repair

    def write(self, path: Path, text: str) -> Callable[[], None]:
        return lambda: self.archive.write(path, text)

    def replace(self, path: Path, text: str) -> Callable[[], None]:
        """The file moved as it is to the quarantine, and `text` written in its place."""
        move = self.quarantine(path)

        def repair() -> None:
            move()
            self.archive.write(path, text)

        repair.phase = 0  # a move: before any other repair
        return repair

    def quarantine(self, path: Path) -> Callable[[], None]:
        self._leaving.add(self.rel(path))

        def repair() -> None:
            target = self.root / layout.QUARANTINE_DIR / self.rel(path)
            number = 1
            while os.path.lexists(target):
                target = target.with_name(f"{path.name}.{number}")
                number += 1
            self.archive.move(path, target)  # never through a link, which would carry it out of the archive

        repair.phase = 0  # before any repair changes a file: it is quarantined as it was
        return repair

    def repair(self) -> Diagnosis:
        """Run every repair the diagnosis found (diagnose() first), each atomic, in order; OSError
        before any when the quarantine is a symbolic link (it would carry files out of the archive)."""
        if (self.root / layout.QUARANTINE_DIR).is_symlink():
            raise OSError(
                f"{self.root / layout.QUARANTINE_DIR} is a symbolic link; the quarantine must be the archive's own folder"
            )
        for finding, repair in _in_phases(self._repairs):
            if getattr(repair, "path", None) not in self._leaving:  # repairs apply to the kept copy only
                repair()
            finding.fixed = True
        return self.found


# --- front matter, as Jekyll reads it (crawler/archive/frontmatter.py) -------------------------
def _front_matter(text: str) -> tuple[dict | None, str]:
    try:
        return read_front_matter(text).fields, ""
    except NoFrontMatter as exc:
        return None, str(exc)


def _recovered_title(text: str):
    """A change that writes the title line back as valid YAML, when that makes the front matter readable."""
    front = front_matter_text(text)
    match = _TITLE_LINE.search(front)
    if match is None:
        return None
    raw = match.group(1).strip()
    title = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'" else raw

    def change(whole: str) -> str:
        line = _TITLE_LINE.search(front_matter_text(whole))
        return whole[: line.start()] + f"title: {yaml_quoted(title)}{line.group(2)}" + whole[line.end() :]

    return change if _front_matter(change(text))[0] is not None else None


def _add_guard(text: str) -> str:
    """`render_with_liquid: false` in the front matter: its own line rewritten, else a line added at its end."""
    front = front_matter_text(text)
    line = _GUARD_LINE.search(front)
    if line is not None:
        return text[: line.start()] + f"render_with_liquid: false{line.group(1)}" + text[line.end() :]
    newline = "\r\n" if front.endswith("\r\n") else "\n"
    return front + f"render_with_liquid: false{newline}" + text[len(front) :]


def _retitle(title: str):
    def change(text: str) -> str:
        line = _TITLE_LINE.search(front_matter_text(text))
        return text[: line.start()] + f"title: {yaml_scalar(title)}{line.group(2)}" + text[line.end() :]

    return change


def _strings_to_quote(text: str, front: dict | None) -> list[tuple[str, str]]:
    """(field, value) of each one-line value of a string field that Jekyll reads as no string or as
    another text than it says: a plain value plain_is_string refuses, or one that begins with a YAML
    indicator (`| > ! & * # % @` or a backtick) and reads as null or "" or stops the reading (old scripts
    wrote titles and media names as they came). A value that reads as text (`|` with its lines, `&a x`)
    was written as YAML: left as it is. `front`: the fields as read (None: they cannot be)."""
    found = []
    for line in _FIELD_LINE.finditer(front_matter_text(text)):
        key, value = line.group(1), line.group(2)
        if plain_is_string(value):
            continue
        if value[0] in _INDICATORS and front is not None and front.get(key) not in (None, ""):
            continue
        found.append((key, value))
    return found


def _quoting(text: str, values: list[tuple[str, str]]) -> Callable[[str], str] | None:
    """A change that writes each of `values` quoted (every other byte as it was), when that makes the
    front matter readable with each field reading exactly its value; else None."""
    if not values:
        return None
    wanted = set(values)

    def change(whole: str) -> str:
        front = front_matter_text(whole)

        def quoted(line: re.Match) -> str:
            if (line.group(1), line.group(2)) not in wanted:
                return line.group(0)
            start, end = line.start(2) - line.start(), line.end(2) - line.start()
            return line.group(0)[:start] + yaml_quoted(line.group(2)) + line.group(0)[end:]

        return _FIELD_LINE.sub(quoted, front) + whole[len(front) :]

    fixed, before = _front_matter(change(text))[0], _front_matter(text)[0]
    if fixed is None or any(fixed.get(key) != value for key, value in values):
        return None
    others = set(before or ()) - {key for key, _ in values}  # every other field reads as it did
    return change if all(fixed.get(key) == before[key] for key in others) else None


def _not_string_detail(values: list[tuple[str, str]]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in values) + ": Jekyll reads no such string"


def _field(read: Callable[[dict], str], front: dict, unusable: list[str]) -> str | None:
    """A field as every command reads it; None (and the reason in `unusable`) when it is unusable."""
    try:
        return read(front)
    except ValueError as exc:
        unusable.append(str(exc))
        return None


def _pages_in(folder: Path) -> list[Path]:
    """The index pages of `folder` (none when it is not there); OSError naming it when it cannot be listed."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(folder / name for name in names if name.endswith(".html"))


def _page_title_of(text: str) -> str:
    return str(_front_matter(text)[0]["title"])


def _empty_item(path: Path) -> bool:
    try:
        front, _ = _front_matter(file_text(path))
    except (OSError, UnicodeDecodeError):
        return False
    title = None if front is None else _field(post_title, front, [])
    return title is not None and not title.strip()


def _generation(post: Post) -> int:
    """How new a post's format is (the four 7x24 generations; per-media posts have one): higher is newer."""
    text = post.text
    if post.front is None:
        return 0
    if "｜[返回首页](" in text and "+0800" in front_matter_text(text):
        return 4
    if "+0800" in front_matter_text(text):
        return 3 if "[返回" in text else 2
    return 2 if "[返回" in text else 1


def _in_phases(repairs: list) -> list:
    """The repairs in the order they must run: moves to the quarantine (phase 0: a file is quarantined
    as it was), then sanitized copies (1: the original kept), then every rewrite and write (2)."""
    return sorted(repairs, key=lambda pair: getattr(pair[1], "phase", 2))


def _unsafe_name(category: str) -> bool:
    """A category that must never become a path or a page: a character a crawled slug never holds (a
    separator, a control character, `:` that a URL reads as a scheme; crawler/archive/slugs.py), a leading dot."""
    return bool(UNSAFE_IN_SLUG.search(category)) or category.startswith(".")
