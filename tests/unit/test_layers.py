"""The house's layers hold (issue 19): the domain is plain Python (no AWS, HTTP, templates
or platform clients), and the use cases' tests run on fakes, without moto. Each checked in
a fresh interpreter, on what importing actually loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_THE_DOMAIN = ("boto3", "botocore", "chalice", "jinja2", "tweepy", "requests", "moto")


def loaded_by(modules: list[str]) -> set[str]:
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(run.stdout.splitlines()[-1]))


def modules_in(folder: str) -> list[str]:
    return [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted((ROOT / folder).glob("*.py"))
        if path.name != "__init__.py"
    ]


def test_the_domain_imports_no_aws_http_templates_or_platform_clients():
    domain = modules_in("chalicelib/domain")
    assert len(domain) >= 15
    loaded = loaded_by(domain)
    assert not {m for m in loaded if m.split(".")[0] in NOT_IN_THE_DOMAIN}
    outside = {m for m in loaded if m.startswith("chalicelib") and ".domain" not in m}
    assert outside <= {"chalicelib", "chalicelib.settings"}  # where the bundled policy is


def test_the_use_case_tests_run_on_fakes_without_moto():
    tests = modules_in("tests/service")
    assert len(tests) >= 6
    loaded = loaded_by(tests)
    assert not {m for m in loaded if m.split(".")[0] in ("moto", "boto3")}
