import csv

import pytest

from crawler.archive.slugs import category_slug
from tests.conftest import REFERENCE

PAIRS = list(csv.reader((REFERENCE / "slugs.tsv").open(encoding="utf-8"), delimiter="\t"))[1:]


def test_reference_has_the_archive_pairs():
    assert len(PAIRS) >= 170


@pytest.mark.parametrize(("media", "slug"), PAIRS)
def test_slug_equals_the_archive(media, slug):
    assert category_slug(media) == slug


@pytest.mark.parametrize(
    ("media", "slug"),
    [
        ("中国证券报·中证网", "zhongguozhengquanbao·zhongzhengwang"),
        ("银行", "yinxing"),
        ("每日经济新闻", "meirijingjixinwen"),
    ],
)
def test_known_slugs(media, slug):
    assert category_slug(media) == slug


@pytest.mark.parametrize("media", ["../../etc", "a/b", "a\\b", "x\x00y", "..", "/"])
def test_slug_is_path_safe(media):
    slug = category_slug(media)
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug and not slug.startswith(".")
