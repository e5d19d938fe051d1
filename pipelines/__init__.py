"""Item pipelines, one job each, in order: validate -> dedupe -> write the post.

Every dropped item is counted in stats as finews/dropped/<reason>.
"""

from scrapy.exceptions import DropItem


def drop(stats, reason: str, detail: str = "") -> DropItem:
    """Count a drop under finews/dropped/<reason> and return the DropItem to raise."""
    stats.inc_value(f"finews/dropped/{reason}")
    return DropItem(f"{reason}: {detail}" if detail else reason)
