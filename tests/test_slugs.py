"""Category slugs (crawler.archive.slugs): a media name's slug is the old archive's (fixtures/reference/),
always a safe file name, capped in bytes; two names whose capped slugs meet are reported."""

import csv

import pytest

from crawler.archive.slugs import MAX_SLUG_BYTES, category_slug
from pipelines.write import WritePostPipeline
from tests.conftest import REFERENCE, make_article, validated

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


def test_a_slug_is_capped_in_bytes_and_names_that_meet_are_reported(crawler, tmp_path):
    long_name = "很长的媒体名称" * 9
    assert len(category_slug(long_name).encode()) <= MAX_SLUG_BYTES
    assert category_slug("中国证券报·中证网") == "zhongguozhengquanbao·zhongzhengwang"  # real slugs unchanged
    writer = WritePostPipeline.from_crawler(crawler)
    writer.process_item(validated(crawler, make_article(source=long_name + "甲")))
    writer.process_item(validated(crawler, make_article(info_code="NW202112312231871791", source=long_name + "乙")))
    assert crawler.stats.get_value(f"finews/slug_collisions/{category_slug(long_name + '甲')}") == 1
    assert len(list((tmp_path / "site" / "_posts").iterdir())) == 2
