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
# Known list pages without a known API column: readable with lists=html only (docs/eastmoney.md §2).
HTML_ONLY_SLUGS = (
    "chgyj",
    "chyyj",
    "ccfgc",
    "crdsm",
    "cywjh",
    "cgsxw",
    "cscsj",
    "clczx",
    "cqqdd",
    "cpljh",
    "cwhdd",
    "cmgpj",
)


@dataclass(frozen=True)
class Category:
    """A category as the spider reads it: by API column, by list-page slug, or both."""

    slug: str | None
    column: int | None

    @property
    def name(self) -> str:
        return self.slug or str(self.column)


def parse_categories(text: str | None, lists: str = "api") -> list[Category]:
    """ "cgnjj,351" -> categories, readable with `lists` ("api": by column, "html": by page slug).

    A name must be a known slug (COLUMNS, HTML_ONLY_SLUGS); a number is an API column. Raises
    ValueError naming the category and what is accepted.
    """
    names = [n.strip() for n in (text or ",".join(DEFAULT_CATEGORIES)).split(",") if n.strip()]
    if not names:
        raise ValueError("categories is empty: give list-page slugs or API columns, e.g. cgnjj,351")
    slug_of_column = {column: slug for slug, column in COLUMNS.items()}
    categories = []
    for name in names:
        if name.isdigit() and int(name) > 0:
            category = Category(slug_of_column.get(int(name)), int(name))
        elif name in COLUMNS or name in HTML_ONLY_SLUGS:
            category = Category(name, COLUMNS.get(name))
        else:
            known = ", ".join(f"{slug} ({column})" for slug, column in COLUMNS.items())
            raise ValueError(
                f"unknown category {name!r}: use an API column number or one of {known}"
                f" (with lists=html also {', '.join(HTML_ONLY_SLUGS)})"
            )
        if lists == "api" and category.column is None:
            raise ValueError(
                f"category {name!r} has no list-API column: use lists=html, or one of {', '.join(COLUMNS)}"
            )
        if lists == "html" and category.slug is None:
            raise ValueError(f"API column {name} has no known list page: use lists=api, or a slug such as cgnjj")
        categories.append(category)
    return list(dict.fromkeys(categories))
