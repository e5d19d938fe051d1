"""The one error type every parser raises when a page cannot give its record."""


class ParseError(ValueError):
    """The page cannot give a complete record; `reason` is a short stat-friendly slug."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
