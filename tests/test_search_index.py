"""The search index of crawler/tools/search.py: its words (tokens), the same in site/assets/search.js,
its bundles (plan), and index() with real Pagefind: only touched bundles indexed again, bundles no
longer planned removed, a failed run leaving the old bundle live, the state file.
"""

import html
import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.tools import search
from crawler.tools.programs import BuildFailed, pagefind_command
from crawler.tools.search import SearchPost, plan, tokens
from tests.conftest import REPO, need_tool


def pair(a: str, b: str) -> str:
    return "p" + search._code(a) + search._code(b)


def test_pairs_of_adjacent_units_and_ascii_runs_alone():
    assert tokens("A股市场") == ["ua", pair("a", "股"), pair("股", "市"), pair("市", "场")]
    assert tokens("电动车") == [pair("电", "动"), pair("动", "车")]
    assert tokens("5G手机") == ["u5g", pair("5g", "手"), pair("手", "机")]
    assert tokens("ST") == ["ust"] and tokens("电") == [] and tokens("") == []


def test_nfkc_and_ascii_lowercase():
    assert tokens("Ａ股") == tokens("a股") == tokens("A股")
    assert tokens("５Ｇ") == ["u5g"] and tokens("Ⅻ月") == tokens("xii月")
    assert tokens("ÄB") == ["ub"]  # Ä is no unit (not CJK, not ASCII): it breaks the run


def test_punctuation_and_space_break_adjacency():
    assert tokens("电动，车") == tokens("电动 车") == tokens("电动\n车") == [pair("电", "动")]
    assert tokens("*ST康美") == ["ust", pair("st", "康"), pair("康", "美")]
    assert tokens("3.5%") == ["u3", "u5"]


def test_every_cjk_block_and_kana_hangul_are_units():
    for text in ("𠀀𠀁", "㐀㐁", "ひら", "カタ", "한국", "〇一"):
        assert tokens(text) == [pair(*text)] if len(text) == 2 else True, text
    assert pair("𠀀", "中").startswith("pw20000")


def test_words_are_ascii_letters_and_digits():
    for word in tokens("A股，5G手机 *ST康美 𠀀中 ひらがな 한국어 x" * 3 + "a" * 50 + "中"):
        assert word.isascii() and word.isalnum() and word == word.lower()


def test_no_pair_word_begins_another():
    units = ["中", "国", "𠀀", "a", "ab", "abc", "a1", "1", "12", "x" * 40, "x" * 36, "ひ", "한"]
    pairs = {pair(a, b) for a, b in itertools.product(units, repeat=2)}
    for one, other in itertools.permutations(pairs, 2):
        assert not other.startswith(one), (one, other)
    for unit in units:  # a single character's query: the prefix of exactly the pairs it begins
        begins = {p for p in pairs if p.startswith("p" + search._code(unit))}
        assert begins == {pair(unit, b) for b in units}


STRINGS = [
    "瑞银：继续偏好电动车供应链 中长期看好中国科技龙头",
    "A股市场，5G手机；*ST康美（600518）涨停！",
    "ＡＢＣ１２３ｘｙｚ　全角　空格",
    "Ⅻ ﬁnance ½ ㈱ ㍿ ① ™",
    "𠀀𠀁𪚥 㐀 丽 﨑 \U0002f800",
    "ひらがなカタカナ・ｶﾀｶﾅ 한국어 テスト",
    "ÄÖÜ café naïve İstanbul ß",
    "a" * 40 + "中" + "b" * 35 + "国" + "c" * 36,
    "2024年5月3日 10:30，上证指数3.5%、GDP增长5.2%",
    "tab\there\nnew line\r\n中\u200b文 zero\u00a0width",
    "emoji 😀 中😀文 \ud7a3\uac00",
    "",
]


def test_the_javascript_tokenizer_gives_the_same_words():
    node = need_tool("node")
    script = (
        "const vm = require('vm'); const fs = require('fs'); const window = {};"
        "vm.runInNewContext(fs.readFileSync(process.argv[1], 'utf8'), {window});"
        "const strings = JSON.parse(fs.readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(strings.map(s => window.finewsTokens(s))));"
    )
    answer = subprocess.run(
        [node, "-e", script, str(REPO / "site" / "assets" / "search.js")],
        input=json.dumps(STRINGS),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout) == [tokens(text) for text in STRINGS]


def posts_on(dates: list[str]) -> list[SearchPost]:
    found = []
    for number, date in enumerate(dates):
        name = f"{date.replace('-', '/')}/NW{date.replace('-', '')}{number:010d}.html"
        found.append(SearchPost("/" + name, name, date))
    return found


def test_the_plan_depends_on_the_posts_alone_and_keeps_each_bundle_small():
    day = random.Random(7)
    dates = [f"20{day.randint(20, 24)}-{day.randint(1, 12):02d}-{day.randint(1, 28):02d}" for _ in range(3000)]
    dates += ["2023-05-13"] * 230  # one day of more posts than a bundle holds
    posts = posts_on(dates)
    bundles = plan(posts, limit=100)
    shuffled = posts[:]
    random.Random(1).shuffle(shuffled)
    assert plan(shuffled, limit=100) == bundles
    assert sorted(p for members in bundles.values() for p in members) == sorted(posts)
    assert all(0 < len(members) <= 100 for members in bundles.values())
    assert all(search.BUNDLE_RE.fullmatch(name) for name in bundles)
    assert {"2023-05-d13-1", "2023-05-d13-2", "2023-05-d13-3"} <= set(bundles)
    assert len(bundles["2023-05-d13-3"]) == 230 + sum(d == "2023-05-13" for d in dates[:3000]) - 200


def test_a_small_year_is_one_bundle_and_a_big_one_splits_down():
    assert list(plan(posts_on(["2021-01-01", "2021-12-31"]), limit=2)) == ["2021"]
    assert list(plan(posts_on(["2021-01-01", "2021-02-01", "2021-12-31"]), limit=2)) == ["2021-q1", "2021-q4"]
    posts = posts_on(["2021-05-01", "2021-05-11", "2021-05-11", "2021-05-31", "2021-06-01"])
    assert list(plan(posts, limit=2)) == ["2021-05-d01", "2021-05-d11", "2021-05-d31", "2021-06"]
    posts = posts_on(["2021-05-01", "2021-05-02", "2021-05-11", "2021-05-31", "2021-06-01"])
    assert list(plan(posts, limit=3)) == ["2021-05-d01", "2021-05-d31", "2021-06"]  # whole days, at most 3


def test_new_posts_of_a_months_last_days_change_only_its_last_run_or_start_one():
    month = [f"2021-05-{day:02d}" for day in range(1, 29) for _ in range(7)]  # 7 posts a day
    before = plan(posts_on(month), limit=50)
    after = plan(posts_on([*month, "2021-05-28", "2021-05-29"]), limit=50)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert len(before) == 4 and changed == {max(before), max(after)} and max(after) not in before  # a new run
    with pytest.raises(ValueError):
        plan([SearchPost("/x.html", "x.html", "2021-5-1")])


def need_pagefind() -> None:
    try:
        pagefind_command()
    except BuildFailed:
        if os.environ.get("CI") == "true":
            pytest.fail("pagefind is required under CI=true")
        pytest.skip("pagefind not installed")


def write_post(out: Path, post: SearchPost, title: str, body: str) -> None:
    path = out / post.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body><main>'
        f'<article class="post" data-pagefind-body><h1 class="post-title">{html.escape(title)}</h1>'
        f'<p class="post-meta" data-pagefind-ignore><time datetime="{post.date}T08:00:00+08:00">t</time>忽略</p>'
        f'<div class="post-body"><p>{html.escape(body)}</p></div></article></main></body></html>',
        encoding="utf-8",
    )


@pytest.fixture
def site(tmp_path):
    """A built-like site of 9 posts in three quarters of 2024 (bundles 2024-q1, -q2, -q3 at limit 5)."""
    need_pagefind()
    out = tmp_path / "site"
    posts = posts_on(["2024-01-05", "2024-02-05", "2024-03-05", "2024-05-01", "2024-05-02", "2024-06-01",
                      "2024-08-01", "2024-09-01", "2024-09-02"])  # fmt: skip
    for number, post in enumerate(posts):
        write_post(out, post, f"标题{number}：电动车", f"正文{number}，继续偏好电动车供应链。")
    return out, posts


slow = pytest.mark.slow  # real Pagefind runs


@slow
def test_an_update_indexes_only_the_bundles_it_touches(site):
    out, posts = site
    first = search.index(out, posts, changed=None, limit=5)
    assert (first.bundles, first.reindexed, first.posts) == (3, 3, 9) and first.bytes > 0
    root = out / "pagefind"
    assert json.loads((root / "bundles.json").read_text())["bundles"] == ["2024-q1/", "2024-q2/", "2024-q3/"]
    assert all((root / name / "pagefind.js").is_file() for name in ("2024-q1", "2024-q2", "2024-q3"))
    assert not list(root.glob("*/pagefind-ui.js"))  # Pagefind's own UIs are not kept
    state = json.loads((root / "state.json").read_text())
    assert state["version"] == search.STATE_VERSION
    assert state["bundles"]["2024-q2"][posts[3].url] == posts[3].file

    assert search.index(out, posts, changed=[], limit=5).reindexed == 0
    kept = (root / "2024-q1" / "pagefind.js").stat().st_ino
    (new,) = posts_on(["2024-05-20"])
    new = SearchPost(
        new.url.replace("0000000000", "0000000099"), new.file.replace("0000000000", "0000000099"), new.date
    )
    write_post(out, new, "新文章", "新正文")
    write_post(out, posts[7], "改了", "改过的正文")  # a changed post of 2024-q3
    again = search.index(out, [*posts, new], changed=[new.file, posts[7].file], limit=5)
    assert (again.bundles, again.reindexed, again.posts) == (3, 2, 4 + 3)
    assert (root / "2024-q1" / "pagefind.js").stat().st_ino == kept

    fewer = [p for p in [*posts, new] if p.date >= "2024-04"]  # no post of 2024-q1 left: its bundle goes
    gone = search.index(out, fewer, changed=[], limit=5)
    assert gone.bundles == 2 and gone.reindexed == 0
    assert not (root / "2024-q1").exists()
    assert json.loads((root / "bundles.json").read_text())["bundles"] == ["2024-q2/", "2024-q3/"]
    assert set(json.loads((root / "state.json").read_text())["bundles"]) == {"2024-q2", "2024-q3"}


@slow
def test_a_failed_run_leaves_the_old_bundle_live(site, monkeypatch):
    out, posts = site
    search.index(out, posts, changed=None, limit=5)
    root = out / "pagefind"
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    monkeypatch.setattr("crawler.tools.search.pagefind_command", lambda: ["false"])
    with pytest.raises(BuildFailed, match=r"bundle 2024-q\d"):
        search.index(out, posts, changed=None, limit=5)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert not list(root.glob(".new-*")) and not list(root.glob(".old-*"))


@slow
def test_the_source_pages_hold_the_tokens_and_the_public_pages_do_not(site):
    out, posts = site
    search.index(out, posts, changed=None, limit=5)
    title, text, _ = search.extract((out / posts[0].file).read_bytes())
    assert (title, text) == ("标题0：电动车", "正文0，继续偏好电动车供应链。")  # no date line (ignored)
    page = search.source_page(title, text)
    assert pair("电", "动") in page and 'data-pagefind-meta="title"' in page
    assert pair("电", "动") not in (out / posts[0].file).read_text(encoding="utf-8")
    assert [p.url for p in search.posts_of_site(out)] == sorted(p.url for p in posts)
    assert [p.date for p in search.posts_of_site(out)] == sorted(p.date for p in posts)


@slow
def test_a_bundle_pagefind_cut_short_is_never_swapped_in(site, monkeypatch):
    """Pagefind exits 0 when a full disk cuts its files short: the bundle is checked before it goes live."""
    out, posts = site
    search.index(out, posts, changed=None, limit=5)
    root = out / "pagefind"
    before = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    empty_entry = (
        "import os, sys; out = sys.argv[sys.argv.index('--output-path') + 1]; os.makedirs(out); "
        "open(os.path.join(out, 'pagefind.js'), 'w').write('x'); open(os.path.join(out, 'pagefind-entry.json'), 'w')"
    )
    monkeypatch.setattr("crawler.tools.search.pagefind_command", lambda: [sys.executable, "-c", empty_entry])
    with pytest.raises(BuildFailed, match=r"pagefind-entry\.json is empty"):
        search.index(out, posts, changed=None, limit=5)
    assert {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


@slow
def test_posts_without_an_article_make_no_bundle_and_no_failure(tmp_path):
    posts = posts_on(["2024-01-05", "2024-01-06"])
    for post in posts:
        (tmp_path / post.file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / post.file).write_text("<html><body><p>无正文标记</p></body></html>", encoding="utf-8")
    report = search.index(tmp_path, posts, changed=None)
    assert report.posts == 0
    assert json.loads((tmp_path / "pagefind" / "bundles.json").read_text())["bundles"] == []
    assert search.index(tmp_path, posts, changed=[]).reindexed == 0  # known to hold no article: not read again
