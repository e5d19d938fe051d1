"""Category slugs from media names, spelled exactly as the archive's existing URLs.

The archive was built with xpinyin (per-character pinyin, joined, "-" removed):
中国证券报·中证网 -> zhongguozhengquanbao·zhongzhengwang, 银行 -> yinxing.
Switching to another pinyin library would silently move category URLs.
"""

import re
from functools import lru_cache

from xpinyin import Pinyin

_PINYIN = Pinyin()
# Separators and controls, and what breaks a URL or Jekyll's build in a page name (":" makes it a
# URI scheme): none of them is in a real media name's slug (fixtures/reference/slugs.tsv).
UNSAFE_IN_SLUG = re.compile(r'[/\\\x00-\x1f\x7f:*?"<>|#%{}]')
MAX_SLUG_BYTES = 200  # `<slug>.html` stays well under the 255 bytes a file name may have (no real slug is near)


@lru_cache(maxsize=4096)  # media names repeat from article to article
def category_slug(media_name: str) -> str:
    """The archive's slug for a media name; a valid file name: no separators, NUL or leading dots,
    at most MAX_SLUG_BYTES of UTF-8 (cut at a character; two names that meet there share a slug,
    which the write pipeline reports)."""
    slug = UNSAFE_IN_SLUG.sub("", _PINYIN.get_pinyin(media_name).replace("-", "")).strip().lstrip(".")
    return slug.encode()[:MAX_SLUG_BYTES].decode("utf-8", "ignore").rstrip()
