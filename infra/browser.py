"""Debian's chromium, headless, driven by Playwright: for the browser tests and the
docs' screenshots. Playwright's own browser downloads are never used."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Without the networking switches, chromium's background calls out of this closed
# network fail at every start; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("ESCALATOR_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError(
            "chromium not found: `make test` installs Debian's chromium "
            "(apt-get install chromium), or set ESCALATOR_CHROMIUM to a Chromium binary"
        )
    return path


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
