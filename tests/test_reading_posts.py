"""Every command reads a post as Jekyll does, and says what it cannot read.

There is one way to read a post's text (crawler/tools/posts.py `file_text`: its bytes as UTF-8,
line ends as they are) and one set of field readers (title, categories, tags, date): export,
maintain and doctor read a post alike, so a post one of them reads, all read, and one they
refuse, all refuse. A field that is neither a scalar nor a flat list of scalars is unusable and
never expanded: an alias bomb is refused at once. A post that cannot be read is named; a posts
folder that cannot be read is an error (exit status 6), never "0 posts".
"""

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from crawler.archive import Archive
from crawler.archive.files import file_text
from crawler.tools.doctor import Checkup
from crawler.tools.posts import post_record
from fixtures.testing import scrapy_command
from tests.conftest import FIXTURES, REPO, archive_command

EXPECTED = FIXTURES / "expected"
DAY = "2018-01-03"
BODY = '\n<p>正文</p><p class="em_media">（文章来源：来源）</p>\n'

# Front matter Jekyll reads (site timezone Asia/Shanghai), and what every command reads from it:
# (title, category, source, date). Each post is dated 2018-01-03 by its file name.
READ_ALIKE = {
    "a number as title": ("title: 12345", ("12345", "zz", "zz", f"{DAY}T10:00:00+08:00")),
    "true as title": ("title: true", ("true", "zz", "zz", f"{DAY}T10:00:00+08:00")),
    "categories as a list": ("categories: [a, b]", ("t", "a b", "zz", f"{DAY}T10:00:00+08:00")),
    "categories as a block list": ("categories:\n  - a\n  - 2018", ("t", "a 2018", "zz", f"{DAY}T10:00:00+08:00")),
    "tags as a list": ("tags: [甲新闻]", ("t", "zz", "甲", f"{DAY}T10:00:00+08:00")),
    "a day": ("date: 2018-01-03", ("t", "zz", "zz", f"{DAY}T00:00:00+08:00")),
    "a time without a zone": ("date: 2018-01-03 10:00:00", ("t", "zz", "zz", f"{DAY}T10:00:00+08:00")),
    "a quoted time without a zone": ('date: "2018-01-03 10:00:00"', ("t", "zz", "zz", f"{DAY}T10:00:00+08:00")),
    "a time in UTC": ("date: 2018-01-03T02:00:00Z", ("t", "zz", "zz", f"{DAY}T10:00:00+08:00")),
    "a time in another zone": ("date: 2018-01-02 21:00:00 -05:00", ("t", "zz", "zz", f"{DAY}T10:00:00+08:00")),
    "no date: the file name's day": ("date:", ("t", "zz", "zz", f"{DAY}T00:00:00+08:00")),
    "a byte order mark first": ("\ufeff", ("t", "zz", "zz", f"{DAY}T10:00:00+08:00")),  # Jekyll: "bom|utf-8"
}
DEFAULTS = {"title": "title: t", "date": "date: 2018-01-03 10:00:00 +0800", "categories": "categories: zz",
            "tags": "tags: zz新闻"}  # fmt: skip


def front(*lines: str) -> str:
    """Front matter: the defaults `lines` do not name, then `lines` (`date:` alone: no date at all)."""
    named = {line.split(":", 1)[0] for line in lines}
    kept = [line for name, line in DEFAULTS.items() if name not in named] + [line for line in lines if line != "date:"]
    return "---\nlayout: post\n" + "".join(f"{line}\n" for line in kept) + "---" + BODY


ANCHORS = "\n".join(  # nine levels of nine aliases: a few hundred bytes, 9**9 items when expanded
    ["anchors: [&a [x, x, x, x, x, x, x, x, x]"]
    + [f"  , &{name} [{', '.join(['*' + parent] * 9)}]" for parent, name in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["  ]"]
)


def alias_bomb(field: str) -> str:
    """Front matter whose `field` is the nine levels of aliases (in place of its usual value)."""
    return front(ANCHORS, f"{field}: [{', '.join(['*i'] * 9)}]")


def name_of(number: int) -> str:
    return f"{DAY}-NW2018010300000000{number:02d}.md"


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "archive"
    (root / "_posts").mkdir(parents=True)
    return root


def findings(root: Path) -> dict[str, set[str]]:
    """What doctor finds in `root`: file -> kinds."""
    found: dict[str, set[str]] = {}
    for finding in Checkup(Archive(root)).diagnose().findings:
        found.setdefault(finding.file, set()).add(finding.kind)
    return found


# --- C: one reader of the text, one set of field readers -----------------------------------------
@pytest.mark.parametrize(("line", "read"), READ_ALIKE.values(), ids=READ_ALIKE.keys())
def test_what_jekyll_reads_every_command_reads_alike(archive, line, read, capsys):
    path = archive / "_posts" / name_of(1)
    path.write_text("\ufeff" + front() if line == "\ufeff" else front(line), encoding="utf-8")
    record = post_record(path, archive)
    assert (record["title"], record["category"], record["source"], record["date"]) == read
    category = read[1]
    not_string = {f"_posts/{name_of(1)}": {"yaml_not_string"}} if line.startswith("title: ") else {}
    assert findings(archive) == {f"category/{category}.html": {"missing_index_page"}, **not_string}  # Jekyll: a number
    assert archive_command(archive, "maintain", "--fix-categories") == 0
    assert (archive / "category" / f"{category}.html").is_file()  # the category doctor and export name
    capsys.readouterr()
    assert archive_command(archive, "export") == 0
    assert json.loads(capsys.readouterr().out) == record


# Front matter Jekyll refuses or cannot use, and what doctor calls it; export and maintain skip it.
REFUSED_ALIKE = {
    "CR-only line ends": (front().replace("\n", "\r").encode(), "bad_front_matter"),  # else complete
    "an empty date": (front("date: ").encode(), "bad_date"),
    "a title that is a list": (front("title: [a, b]").encode(), "bad_field"),
    "categories that are a mapping": (front("categories: {a: 1}").encode(), "bad_field"),
    "nested categories": (front("categories: [[a, b], c]").encode(), "bad_field"),
    "tags that are a mapping": (front("tags: {a: 1}").encode(), "bad_field"),
    "a date that is a list": (front("date: [2018-01-03]").encode(), "bad_date"),
}


@pytest.mark.parametrize(("data", "kind"), REFUSED_ALIKE.values(), ids=REFUSED_ALIKE.keys())
def test_what_one_command_refuses_every_command_refuses(archive, data, kind, capsys):
    name = name_of(1)
    (archive / "_posts" / name).write_bytes(data)
    assert kind in findings(archive)[f"_posts/{name}"]
    assert archive_command(archive, "export") == 0
    out, err = capsys.readouterr()
    assert out == "" and f"skipped {archive / '_posts' / name}: " in err
    assert archive_command(archive, "maintain", "--fix-categories") == 0
    assert f"skipped {archive / '_posts' / name}: " in capsys.readouterr().err


def test_a_post_is_read_as_its_bytes_with_its_line_ends(tmp_path):
    path = tmp_path / "post.md"
    path.write_bytes("---\r\ntitle: 标题\r\n---\rbody\n".encode())
    assert file_text(path) == "---\r\ntitle: 标题\r\n---\rbody\n"
    path.write_bytes(b"\xff")
    with pytest.raises(UnicodeDecodeError):
        file_text(path)


def test_a_fifo_is_never_opened_for_reading(tmp_path):
    os.mkfifo(tmp_path / "fifo.md")
    code = "import sys; from crawler.archive.files import file_text; file_text(sys.argv[1])"
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "fifo.md")], cwd=REPO,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 1 and "fifo.md is not a regular file" in run.stderr


# --- D: a field is never expanded ----------------------------------------------------------------
BOMBS = {
    "categories": (alias_bomb("categories"), "bad_field"),
    "tags": (alias_bomb("tags"), "bad_field"),
    "title": (alias_bomb("title"), "bad_field"),
    "date": (alias_bomb("date"), "bad_date"),
}


def test_the_field_readers_refuse_nested_aliases_at_once(archive):
    """In a process of its own, bounded: expanding one of these would take minutes and gigabytes."""
    for number, (text, _) in enumerate(BOMBS.values()):
        (archive / "_posts" / name_of(number)).write_text(text, encoding="utf-8")
    code = (
        "import sys\nfrom pathlib import Path\nfrom crawler.tools.posts import post_record\n"
        "for path in sorted(Path(sys.argv[1]).glob('_posts/*.md')):\n"
        "    try:\n        post_record(path, Path(sys.argv[1]))\n"
        "    except ValueError as exc:\n        print(path.name, exc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(archive)], cwd=REPO, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    refused = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    assert set(refused) == {name_of(number) for number in range(len(BOMBS))}
    assert all(len(reason) < 200 for reason in refused.values())  # a reason, not the expansion


@pytest.mark.slow
def test_doctor_export_and_maintain_report_an_alias_bomb_in_bounded_time(archive):
    for number, (text, _) in enumerate(BOMBS.values()):
        (archive / "_posts" / name_of(number)).write_text(text, encoding="utf-8")
    (archive / "_posts" / name_of(9)).write_text(front(), encoding="utf-8")  # one usable post
    settings = {"FINEWS_ARCHIVE_DIR": archive}
    report = archive.parent / "report.json"
    doctor = subprocess.run(scrapy_command("archive", "doctor", "--report", str(report), settings=settings),
                            cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert doctor.returncode == 1, doctor.stderr[-2000:]
    found = {(f["file"], f["kind"]) for f in json.loads(report.read_text(encoding="utf-8"))["findings"]}
    assert {(f"_posts/{name_of(n)}", kind) for n, (_, kind) in enumerate(BOMBS.values())} <= found
    export = subprocess.run(scrapy_command("archive", "export", settings=settings), cwd=REPO, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert export.returncode == 0 and [json.loads(line)["key"] for line in export.stdout.splitlines()] == [
        "NW201801030000000009"
    ]
    assert f"{len(BOMBS)} unreadable posts skipped" in export.stderr
    maintain = subprocess.run(scrapy_command("archive", "maintain", "--fix-categories", settings=settings),
                              cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert maintain.returncode == 0 and maintain.stderr.count("skipped ") == len(BOMBS)
    assert (archive / "category" / "zz.html").is_file()


# --- E: what cannot be read is said ---------------------------------------------------------------
def refuse_to(monkeypatch, function: str, path: Path) -> None:
    """os.<function> (scandir, listdir, open) fails on `path` as on a file or folder of mode 000."""
    real = getattr(os, function)

    def denied(target=".", *args, **kwargs):
        if os.fspath(target) == os.fspath(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(target))
        return real(target, *args, **kwargs)

    monkeypatch.setattr(os, function, denied)


@pytest.fixture
def expected(tmp_path) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(EXPECTED, root)
    return root


def test_an_unreadable_post_is_a_finding_of_doctor_and_named_by_export(expected, monkeypatch, capsys):
    post = expected / "_posts" / "2018-04-17-NW20180417879488441.md"
    refuse_to(monkeypatch, "open", post)
    assert archive_command(expected, "doctor") == 1  # a diagnosis: not "the archive is not writable"
    out = capsys.readouterr().out
    assert f"problem  unreadable            _posts/{post.name}: cannot be read: Permission denied" in out
    assert "60 posts, 22 pages: 1 problems" in out
    assert archive_command(expected, "export") == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 59 and f"skipped {post}: " in err and "Permission denied" in err


@pytest.mark.parametrize("verb", [["export"], ["doctor"], ["maintain", "--fix-categories"]])
def test_an_unreadable_posts_folder_is_an_error_naming_it(expected, monkeypatch, capsys, verb):
    refuse_to(monkeypatch, "scandir", expected / "_posts")
    assert archive_command(expected, *verb) == 6
    out, err = capsys.readouterr()
    assert "0 posts" not in out and f"Permission denied: '{expected / '_posts'}'" in err


def test_an_unreadable_subfolder_is_an_error_too(expected, monkeypatch, capsys):
    (expected / "_posts" / "2018").mkdir()
    refuse_to(monkeypatch, "scandir", expected / "_posts" / "2018")
    assert archive_command(expected, "export") == 6
    assert f"Permission denied: '{expected / '_posts' / '2018'}'" in capsys.readouterr().err


def test_a_crawl_still_starts_beside_an_unreadable_folder(expected, monkeypatch):
    """The crawl's index (scan_keys, its hot path) counts what it can list, as it always did."""
    (expected / "old_post").mkdir()
    refuse_to(monkeypatch, "listdir", expected / "old_post")
    assert len(Archive(expected).known) == 60


def other_user() -> list[str]:
    """The prefix that runs a command as a user file modes bind: none when this is not root; setpriv
    to nobody as root (skipped where setpriv is missing or nobody cannot run this checkout)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: file modes do not bind root")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import crawler"], cwd=REPO, capture_output=True,
                           timeout=60)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("nobody cannot run this checkout")
    return prefix


@pytest.fixture
def shared_archive(tmp_path):
    """A copy of the expected archive that the user of other_user() owns (so it can read and lock it)."""
    prefix = other_user()
    folder = Path(tempfile.mkdtemp(prefix="finews-modes-")) if prefix else tmp_path
    root = folder / "archive"
    shutil.copytree(EXPECTED, root)
    if prefix:
        folder.chmod(0o755)
        for path in [root, *root.rglob("*")]:
            os.chown(path, 65534, 65534)
    yield prefix, root
    for path in [root, root / "_posts", *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    if prefix:
        shutil.rmtree(folder)


@pytest.mark.slow
def test_file_modes_that_forbid_reading_are_reported(shared_archive):
    prefix, root = shared_archive
    post = root / "_posts" / "2018-04-17-NW20180417879488441.md"

    def run(*argv: str) -> subprocess.CompletedProcess:
        command = [*prefix, *scrapy_command("archive", *argv, settings={"FINEWS_ARCHIVE_DIR": root})]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)

    post.chmod(0)
    doctor = run("doctor")
    assert doctor.returncode == 1, doctor.stderr[-2000:]
    assert f"problem  unreadable            _posts/{post.name}: cannot be read: Permission denied" in doctor.stdout
    export = run("export")
    assert export.returncode == 0 and len(export.stdout.splitlines()) == 59 and post.name in export.stderr
    post.chmod(0o644)
    (root / "_posts").chmod(0)
    for argv in (["export"], ["doctor"]):
        process = run(*argv)
        assert process.returncode == 6 and process.stdout == "", process.stdout + process.stderr
        assert f"Permission denied: '{root / '_posts'}'" in process.stderr
