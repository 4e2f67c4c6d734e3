"""`escalator demo`, as `make run` runs it: a fresh process, the bundled feed, the outbox."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import free_port

ESCALATOR = Path(sys.executable).with_name("escalator")


def test_the_demo_opens_answers_escalates_and_fills_the_outbox(tmp_path):
    outbox = tmp_path / "outbox"
    (outbox).mkdir()
    (outbox / "mine.eml").write_text("a file of the user's")
    (outbox / "20260101T000000-abc.escalator.eml").write_text("an earlier demo's email")
    result = subprocess.run(
        [
            str(ESCALATOR),
            "demo",
            "--once",
            "--port",
            str(free_port()),
            "--time-scale",
            "7200",
            "--outbox",
            str(outbox),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()

    def lines_with(word: str) -> list[str]:
        return [line for line in lines if re.search(rf"\s{word}\s", line)]

    assert len(lines_with("opened")) + len(lines_with("dismissed")) == 20
    assert len(lines_with("dismissed")) == 6  # praise and spam: no workflow
    assert lines_with("responded")
    assert any("before any escalation" in line for line in lines_with("responded"))
    assert any("after tier 1" in line for line in lines_with("responded"))
    tiers = {int(m.group(1)) for line in lines for m in [re.search(r"\stier (\d)\s", line)] if m}
    assert tiers == {1, 2, 3}
    summary = next(line for line in lines if line.startswith("Demo over"))
    emails = sorted(outbox.glob("*.escalator.eml"))
    assert (outbox / "mine.eml").exists()
    assert f"{len(emails)} escalation emails" in summary
    assert len(emails) == len([line for line in lines if re.search(r"\stier \d\s", line)])
    message = email.message_from_bytes(emails[0].read_bytes(), policy=email.policy.default)
    assert message["From"] == "escalator@example.com"
    assert message.get_body(("plain",)).get_content().strip()
    assert message.get_body(("html",)).get_content().strip().startswith("<!doctype html>")
    assert "  failed: " not in result.stdout
