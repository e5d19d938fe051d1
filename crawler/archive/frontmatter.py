"""The one reader of a post's or page's front matter, accepting exactly what Jekyll accepts.

Jekyll (Jekyll::Document) takes the front matter as the text from a first line `---` (trailing
whitespace allowed) up to the next line that is `---` or `...` (trailing whitespace allowed,
`\\r\\n` line ends too), and reads it with a safe YAML loader. So does this module: every
command that reads a post back (export, maintain, doctor) reads it here, and a post one of them
reads is a post all of them read.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

# Jekyll's own pattern (Document::YAML_FRONT_MATTER_REGEXP), in Python's syntax.
_FRONT_MATTER_RE = re.compile(r"\A(---\s*\n.*?\n?)^((?:---|\.\.\.)\s*$\n?)", re.S | re.M | re.ASCII)  # Ruby's \s


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: a 100,000-post archive in seconds
    """A safe loader that reads as text what Psych reads as text: a timestamp that is no real date
    (`2024-02-30`), an integer too long for Python (more than 4,300 digits)."""


def _or_text(construct: Callable) -> Callable:
    """`construct`, or the node's text when it raises ValueError."""
    return lambda loader, node: _constructed(construct, loader, node)


def _constructed(construct: Callable, loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return construct(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _or_text(yaml.SafeLoader.construct_yaml_timestamp))
_Loader.add_constructor("tag:yaml.org,2002:int", _or_text(yaml.SafeLoader.construct_yaml_int))


class NoFrontMatter(ValueError):
    """The text has no front matter Jekyll would read, or its YAML is not a mapping: the reason."""


@dataclass(frozen=True)
class FrontMatter:
    """A file's front matter: its fields, and where its closing line and its body start."""

    fields: dict
    closing_at: int  # offset of the closing `---` line: the front matter's text is text[:closing_at]
    body_at: int  # offset of the body, after the closing line


def read_yaml(text: str) -> object:
    """A YAML document (a config, a data file) read as the front matter is; yaml.YAMLError, RecursionError
    or ValueError when it cannot be."""
    return yaml.load(text, Loader=_Loader)


def read_front_matter(text: str) -> FrontMatter:
    """The front matter of `text` as Jekyll reads it; NoFrontMatter with the reason when there is none."""
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        raise NoFrontMatter("no front matter" if not text.startswith("---") else "no end of front matter")
    try:
        fields = read_yaml(match.group(1))  # a safe loader: CSafeLoader, else SafeLoader
    except (yaml.YAMLError, RecursionError, ValueError) as exc:  # RecursionError: "[[[[..." thousands deep
        raise NoFrontMatter(f"YAML: {' '.join(str(exc).split())}"[:300]) from None
    if fields is None:
        fields = {}  # an empty front matter is one (Jekyll reads it as no fields)
    if not isinstance(fields, dict):
        raise NoFrontMatter("the front matter is not a mapping")
    return FrontMatter(fields, match.start(2), match.end(2))


def front_matter_text(text: str) -> str:
    """The front matter's lines, from the opening `---` to before the closing line (all of `text` when
    it has no closing line): where a line-level repair looks, whether or not the YAML parses."""
    match = _FRONT_MATTER_RE.match(text)
    return text[: match.start(2)] if match else text


def split_front_matter(text: str) -> tuple[str, str]:
    """(the front matter with its closing line, the body) as Jekyll cuts them, whether or not its YAML
    reads; ("", text) when it has none."""
    match = _FRONT_MATTER_RE.match(text)
    return (text[: match.end(2)], text[match.end(2) :]) if match else ("", text)
