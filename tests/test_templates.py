"""Every East Money template we hold a real page of gives the item recorded for it (fixtures/templates/).

One folder per template and month served (`article-new-2022-05`: the new article template as served
in May 2022). Each page is parsed as the spiders parse it and compared field by field with its
expected.json, which fixtures/templates/refresh.py wrote once and a person checked against the page.
A failure names the folder and the field: East Money changed nothing, the parser did.
"""

import re

import pytest

from fixtures.templates.corpus import FOLDER_RE, folders, page_of, parsed
from fixtures.templates.corpus import expected as expected_of
from tests.conftest import FIXTURES

FOLDERS = folders()
CASES = [(folder, field) for folder in FOLDERS for field in expected_of(folder)]


def test_the_corpus_holds_every_kind_of_page_we_have():
    kinds = {FOLDER_RE.fullmatch(folder.name)["kind"] for folder in FOLDERS}
    assert kinds == {"article-old", "article-new", "list-api", "list-html", "fast-list"}


@pytest.mark.parametrize(("folder", "field"), CASES, ids=[f"{folder.name}:{field}" for folder, field in CASES])
def test_the_template_gives_its_expected_field(folder, field):
    """E.g. "the new template of 2022-05 gives source 中国证券报": one field of one folder."""
    got = parsed(folder).get(field, "<missing>")
    want = expected_of(folder)[field]
    assert got == want, f"{folder.name}: field {field!r}\n  parser gives: {got!r}\n  expected.json: {want!r}"


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_the_parser_gives_no_field_the_folder_does_not_expect(folder):
    """A field the parser added (or an error it now raises) shows up here until refresh.py records it."""
    assert set(parsed(folder)) == set(expected_of(folder)), folder.name


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_every_folder_holds_its_page_url_and_expected_item(folder):
    assert page_of(folder).is_file(), f"{folder.name}: no page.html or page.json"
    assert (folder / "url.txt").read_text(encoding="utf-8").strip().startswith("http"), f"{folder.name}: url.txt"
    assert (folder / "expected.json").is_file(), f"{folder.name}: no expected.json"


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_the_folder_is_named_by_the_month_its_page_was_served(folder):
    """An article's published time, a list's newest entry time, lies in the month the folder names."""
    month = FOLDER_RE.fullmatch(folder.name)["month"]
    item = expected_of(folder)
    if folder.name.startswith("article"):
        assert item["published_at"][:7] == month, f"{folder.name}: published {item['published_at']}"
    else:
        times = [entry["published_at"] for entry in item.get("entries", ()) if entry["published_at"]]
        assert not times or max(times)[:7] == month, f"{folder.name}: newest entry {max(times)}"


def test_the_readme_describes_every_folder():
    readme = (FIXTURES / "templates" / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w-]+)/` \|", readme, re.M))
    assert listed == {folder.name for folder in FOLDERS}


def test_every_folder_in_the_corpus_is_named_kind_and_month():
    strays = [p.name for p in (FIXTURES / "templates").iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert sorted(strays) == [folder.name for folder in FOLDERS], "a folder not named <kind>-<YYYY-MM>"
