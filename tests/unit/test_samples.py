"""The sample email in docs/ is what the templates render today (`make docs` redoes it)."""

import struct
from pathlib import Path

import pytest

from infra.samples import SCREENS, sample_parts

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", ["escalation-email.html", "escalation-email.txt"])
def test_the_checked_in_sample_matches_the_templates(name):
    rendered = sample_parts()[name]
    assert (DOCS / name).read_text(encoding="utf-8") == rendered, f"run `make docs`: {name}"


@pytest.mark.parametrize(("name", "width"), SCREENS.items())
def test_the_screenshots_are_pngs_of_the_page_width(name, width):
    header = (DOCS / name).read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24])[0] == width
