"""Shared paths for the offline test suite."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
REFERENCE = FIXTURES / "reference"


def need_tool(name: str) -> str:
    """Path of a real tool; skip without it locally, but fail under CI=true (.ci/run installs it)."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required under CI=true (.ci/run installs it)")
    pytest.skip(f"{name} not installed")


def project_settings(**overrides) -> dict:
    """The project's settings (crawler/settings.py) with overrides, for scrapy.utils.test.get_crawler."""
    from crawler import settings

    return {**{k: v for k, v in vars(settings).items() if k.isupper()}, **overrides}
