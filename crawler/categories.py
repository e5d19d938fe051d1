"""East Money news categories: list-page slug <-> list-API column (docs/eastmoney.md §2)."""

from dataclasses import dataclass

# Columns of the getNewsByColumns API, by the slug of the category's list page.
COLUMNS = {
    "ccjdd": 344,  # 财经导读
    "cssgs": 349,  # 沪深公司
    "cgnjj": 350,  # 国内经济
    "cgjjj": 351,  # 国际经济
    "czqyw": 353,  # 证券聚焦
    "ccjxw": 355,  # 产经新闻
    "czsdc": 363,  # 纵深调查
    "cjjsp": 371,  # 经济时评
    "ccyts": 372,  # 产业透视
    "csygc": 373,  # 商业观察
    "cgspl": 374,  # 股市评论
    "czggng": 437,  # 中概股
    "cgsbd": 535,  # 港股公司
    "csyzx": 670,  # 商业资讯
    "ccyyj": 683,  # 创业研究
    "czpnc": 1207,  # 财经早餐
}
DEFAULT_CATEGORIES = ("cgnjj", "cgjjj", "czqyw", "ccjdd", "cjjsp", "cgspl")


@dataclass(frozen=True)
class Category:
    """A category as the spider reads it: by API column, by list-page slug, or both."""

    slug: str | None
    column: int | None

    @property
    def name(self) -> str:
        return self.slug or str(self.column)


def parse_categories(text: str | None) -> list[Category]:
    """ "cgnjj,351" -> categories; numbers are API columns. Raises ValueError on unknown names."""
    names = [n.strip() for n in (text or ",".join(DEFAULT_CATEGORIES)).split(",") if n.strip()]
    if not names:
        raise ValueError("categories is empty")
    slug_of_column = {column: slug for slug, column in COLUMNS.items()}
    categories = []
    for name in names:
        if name.isdigit():
            categories.append(Category(slug_of_column.get(int(name)), int(name)))
        elif name.isalnum() and name.isascii():
            categories.append(Category(name, COLUMNS.get(name)))
        else:
            raise ValueError(f"bad category {name!r}: use a list-page slug (cgnjj) or an API column (350)")
    return list(dict.fromkeys(categories))
