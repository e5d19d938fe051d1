"""Front matter as Jekyll reads it: every string the writer (and `archive doctor --fix`) puts in a
post or a page is read back by Jekyll's YAML (Psych, YAML 1.1, safe load) as exactly that string.

PyYAML is not Psych: `:证券时报新闻` is a string to PyYAML but a Symbol to Psych, which Jekyll's safe
loader refuses (every later build fails); `01:30`, `1,000` and `yEs` are numbers and a boolean to
Psych only. So a value is written plain only when it is a plain string by a conservative rule
(crawler/archive/render.py `plain_is_string`), else double-quoted; ordinary names and slugs stay
plain, as the archive's posts write them (fixtures/expected).
"""

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from crawler import settings as defaults
from crawler.archive.frontmatter import read_front_matter
from crawler.archive.render import plain_is_string, render_category_page, render_post, yaml_scalar
from crawler.archive.slugs import category_slug
from fixtures.testing import scrapy_command
from tests.conftest import REFERENCE, REPO, make_article, need_tool

# Values that start with, hold or are what YAML (1.1 or Psych's reading of it) acts on.
SPECIAL = [
    ':证券时报', ':', '::', ':x', '!证券', '!!str x', '&锚', '*别名', '%YAML', '@证券', '`证券`', '? 证券', '?证券', '- 证券', '-证券',
    '[证券]', '{证券}', '|证券', '>证券', '#证券', "'证券'", '"证券"', 'yes', 'no', 'Yes', 'NO', 'yEs', 'on', 'OFF', 'y', 'n',
    'true', 'False', 'null', 'Null', 'nULL', '~', '2024-01-01', '2024-1-1', '2024-01-01 12:30:00',
    '2024-01-01T12:30:00Z', '12:30', '01:30', '0:30', '12:30:00', '0x1F', '0o17', '0b101', '017', '.inf', '-.inf',
    '.nan', '.NaN', '1e3', '1E+3', '1_000', '1,000', '1,000.5', '1.0', '1.', '.5', '+1', '-1', '190', '=', '<<',
    '证券: 时报', '证券 #时报', '证券:', ' 证券', '证券 ', '  证券  ', '证券\t时报', 'say "证券"', "证券'时报", 'back\\slash', 'C:\\证券',
    '\\证券', '证券\\', '---', '...', 'a, b'
]  # fmt: skip
# Held-out variants: the same hazards combined with CJK and each other, which the rule never listed.
HELD_OUT = [
    ':证券时报·中证网', '：证券时报', '!!binary 证券', '&a *a', '*ST康美', '%证券', '@@证券', '? ', '-', '--证券', '[a, b]', '{a: b}',
    '|-', '>-', '# 证券', '证券#时报', '证券 # 时报', 'ON', 'Off', 'TRUE', '~证券', '2024-12-31', '2024-12-31 证券', '23:59:59',
    '99:99', '1:2:3', '0X1f', '0B11', '+.INF', '1e-3证券', '1_0', '1,0,0', '00', '0', '-0', '1.2.3', '==', '<<: *a',
    '证券:时报', '证券 :时报', '证券:\u3000时报', '\u3000证券', '证券\u3000', '\xa0证券', '证券\xa0', '{{证券}}', '{%证券%}', '证券\u2028时报',
    '证券\x85时报', '证券\ufeff', '🚀证券', '证券\\n时报', '证券\\"时报', "'", '"', '(证券)', '(1)', '_证券', '/证券/', '21世纪经济报道  南财理财通'
]  # fmt: skip
CORPUS = list(dict.fromkeys(SPECIAL + HELD_OUT))

# What Psych reads as no string (or refuses) when written plain: each must come out quoted.
NOT_PLAIN = [
    ':证券时报', ':x', 'yes', 'yEs', 'Off', 'n', 'nULL', '~', '2024-01-01', '2024-1-1', '12:30', '01:30', '0:30',
    '0x1F', '0b101', '017', '.inf', '1_000', '1,000', '1,000.5', '1.0', '190', '1e3', '0o17'
]  # fmt: skip


def ruby_split(text: str) -> list[str]:
    """Ruby's String#split without arguments (what Jekyll does to a string of categories or tags)."""
    return re.findall(r"[^ \t\n\v\f\r]+", text)


def render(value: str) -> tuple[str, str]:
    """A post whose media name, title and category slug are `value`, and its category page."""
    article = make_article(source=value, title=value)
    post = render_post(article, value, defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL)
    return post, render_category_page(value, value)


def intended(value: str) -> tuple[dict, dict]:
    """What Jekyll must show for the post of `value` and for its category page."""
    categories = list(dict.fromkeys(ruby_split(value)))  # a string of categories: split, uniq
    post = {"title": value, "tags": ruby_split(f"{value}新闻"), "categories": categories}
    return post, {"title": f"{value}新闻", "category": value}


def test_corpus_is_read_back_by_pyyaml_exactly():
    for value in CORPUS:
        post, page = render(value)
        front = read_front_matter(post + "\n").fields
        assert (front["title"], front["categories"], front["tags"]) == (value, value, f"{value}新闻"), value
        fields = read_front_matter(page).fields
        assert (fields["title"], fields["category"]) == (f"{value}新闻", value), value


@pytest.mark.parametrize("value", NOT_PLAIN)
def test_what_psych_reads_as_no_string_is_quoted(value):
    assert not plain_is_string(value)
    assert yaml_scalar(value).startswith('"') and yaml.safe_load(f"k: {yaml_scalar(value)}") == {"k": value}


def test_the_attackers_media_name_is_quoted():
    post = render_post(make_article(source=":证券时报"), "zhengquanshibao", "{info_code}", "//site")
    assert 'tags: ":证券时报新闻"\n' in post and "categories: zhengquanshibao\n" in post
    page = render_category_page(":证券时报", "zhengquanshibao")
    assert page == '---\nlayout: category\ntitle: ":证券时报新闻"\ncategory: zhengquanshibao\n---\n'


def test_ordinary_names_and_slugs_stay_plain():
    """The byte format of the archive's posts: every real media name of fixtures/reference/slugs.tsv."""
    with (REFERENCE / "slugs.tsv").open(encoding="utf-8", newline="") as rows:
        names = [(row["media_name"], row["slug"]) for row in csv.DictReader(rows, delimiter="\t")]
    assert len(names) > 150
    for name, slug in names:
        assert yaml_scalar(slug) == slug == category_slug(name), name
        assert yaml_scalar(f"{name}新闻") == f"{name}新闻", name
        post = render_post(make_article(source=name), slug, "{info_code}", "//site")
        assert f"\ncategories: {slug}\ntags: {name}新闻\n---\n" in post, name
    for value in ("layout", "post", "category", "emnews", "东财滚动新闻", "/emnews/", "21Tech", "Career In 投行PEVC"):
        assert plain_is_string(value), value


LAYOUT_POST = (
    '{"title": {{ page.title | jsonify }}, "tags": {{ page.tags | jsonify }},'
    ' "categories": {{ page.categories | jsonify }}}\n'
)
LAYOUT_CATEGORY = '{"title": {{ page.title | jsonify }}, "category": {{ page.category | jsonify }}}\n'


def jekyll_build(site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["jekyll", "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_jekyll_reads_every_value_exactly(tmp_path):
    """One real `jekyll build` of a post and a category page per value: it succeeds, and each page
    shows exactly the strings meant (title, tags, categories; the page's title and category)."""
    need_tool("jekyll")
    site = tmp_path / "site"
    for folder in ("_posts", "_layouts", "category"):
        (site / folder).mkdir(parents=True)
    (site / "_config.yml").write_text("permalink: /p/:title.html\n", encoding="utf-8")
    (site / "_layouts" / "post.html").write_text(LAYOUT_POST, encoding="utf-8")
    (site / "_layouts" / "category.html").write_text(LAYOUT_CATEGORY, encoding="utf-8")
    for number, value in enumerate(CORPUS):
        post, page = render(value)
        (site / "_posts" / f"2021-12-31-p{number}.md").write_bytes(post.encode("utf-8"))
        (site / "category" / f"c{number}.html").write_bytes(page.encode("utf-8"))
    built = jekyll_build(site)
    assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
    wrong = {}
    for number, value in enumerate(CORPUS):
        shown = [
            json.loads((site / "_site" / folder / f"{name}{number}.html").read_text(encoding="utf-8"))
            for folder, name in (("p", "p"), ("category", "c"))
        ]
        if shown != list(intended(value)):
            wrong[value] = shown
    assert not wrong


def doctor(root: Path, *options: str) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", "doctor", *options, settings={"FINEWS_ARCHIVE_DIR": root})
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_doctor_finds_and_quotes_what_jekyll_reads_as_no_string(tmp_path):
    """A post `tags: :证券时报新闻` and its page `title: :证券时报新闻` (as the old writer and doctor's
    retitling wrote them) stop every build: doctor names both, --fix quotes each value and changes
    no other byte, and real Jekyll then builds the site."""
    need_tool("jekyll")
    root = tmp_path / "archive"
    (root / "_posts").mkdir(parents=True)
    (root / "category").mkdir()
    post = render_post(make_article(source="证券时报"), "zhengquanshibao", "{info_code}", "//site")
    post = post.replace("tags: 证券时报新闻\n", "tags: :证券时报新闻\r\n")  # a CR LF stays
    post_path = root / "_posts" / "2021-12-31-NW202112312231871790.md"
    post_path.write_bytes(post.encode("utf-8"))
    page_path = root / "category" / "zhengquanshibao.html"
    page_path.write_bytes("---\nlayout: category\ntitle: :证券时报新闻 # old\ncategory: zhengquanshibao\n---".encode())

    def build() -> subprocess.CompletedProcess:
        command = scrapy_command("archive", "build", "--no-search", settings={"FINEWS_ARCHIVE_DIR": root})
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert build().returncode == 1  # the Symbol stops Jekyll
    checked = doctor(root, "--report", str(tmp_path / "report.json"))
    assert checked.returncode == 1, checked.stdout + checked.stderr[-2000:]
    findings = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]
    found = {f["file"]: f["detail"] for f in findings if f["kind"] == "yaml_not_string"}
    assert set(found) == {"_posts/2021-12-31-NW202112312231871790.md", "category/zhengquanshibao.html"}, findings
    assert "tags: :证券时报新闻" in found["_posts/2021-12-31-NW202112312231871790.md"]
    assert "title: :证券时报新闻" in found["category/zhengquanshibao.html"]

    fixed = doctor(root, "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr[-2000:]
    assert post_path.read_bytes() == post.replace("tags: :证券时报新闻\r\n", 'tags: ":证券时报新闻"\r\n').encode()
    assert page_path.read_bytes().decode("utf-8") == (
        '---\nlayout: category\ntitle: ":证券时报新闻" # old\ncategory: zhengquanshibao\n---'
    )
    again = doctor(root)
    assert again.returncode == 0 and "yaml_not_string" not in again.stdout, again.stdout
    built = build()
    assert built.returncode == 0, built.stderr[-3000:]


# Titles as the old scripts wrote them, plain (`title: {title}`): what each means is the text itself.
# YAML indicators make most read as null, "" or a refusal; doctor --fix writes each quoted.
OLD_TITLES = [
    "|", ">", "|-", ">+", "|2", "!x", "!证券", "!重磅 消息", "!ruby/sym x", "!ruby/object:Foo", "&锚", "&", "#证券", "# 证券",
    "*别名", "*", "@证券", "`证券`", "%YAML", ":证券时报", "yes", "12:30", "2024-01-01", "~", "null", "1e3", "证券: 时报",
    "证券:", "? 证券", "- 证券", "=",
]  # fmt: skip


@pytest.mark.slow
def test_old_titles_written_plain_are_read_by_jekyll_as_written_after_fix(tmp_path):
    """Each old post's title, written plain, is found by doctor; after --fix real Jekyll builds every
    post (none left out) and shows each title exactly as the old script meant it."""
    need_tool("jekyll")
    root = tmp_path / "archive"
    (root / "_posts").mkdir(parents=True)
    (root / "_layouts").mkdir()
    (root / "_layouts" / "post.html").write_text(LAYOUT_POST, encoding="utf-8")
    (root / "_config.yml").write_text("permalink: /p/:title.html\n", encoding="utf-8")
    for number, title in enumerate(OLD_TITLES):
        text = f"---\nlayout: post\ntitle: {title}\ndate: 2021-12-31 10:00:00 +0800\ncategories: zz\ntags: zz新闻\n---\n正文\n"
        (root / "_posts" / f"2021-12-31-NW2021123100000{number:05d}.md").write_text(text, encoding="utf-8")
    checked = doctor(root, "--report", str(tmp_path / "report.json"))
    findings = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]
    found = {f["file"] for f in findings if f["kind"] in ("yaml_not_string", "bad_front_matter")}
    assert len(found) == len(OLD_TITLES), checked.stdout
    fixed = doctor(root, "--fix")
    assert fixed.returncode == 0 and "\nproblem " not in fixed.stdout, fixed.stdout
    command = scrapy_command("archive", "build", "--no-search", settings={"FINEWS_ARCHIVE_DIR": root})
    built = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0 and f"{len(OLD_TITLES)} posts" in built.stdout, built.stdout + built.stderr[-3000:]
    shown = {
        title: json.loads((root / "_site" / "p" / f"NW2021123100000{number:05d}.html").read_text())["title"]
        for number, title in enumerate(OLD_TITLES)
    }
    assert {title: text for title, text in shown.items() if text != title} == {}
