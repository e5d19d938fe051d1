"""The HTML a post body may hold: the sanitizer's allowlist (nh3), one for the parser and for doctor.

The parser cleans every crawled body to it (crawler/parsers/body.py); `scrapy archive doctor --fix`
cleans an old post's body with executable content to it (crawler/tools/doctor.py). Nothing else is
kept: no script, no event handler, no style, no frame, no form.
"""

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "sub",
    "sup",
    "a",
    "img",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "ul",
    "ol",
    "li",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
