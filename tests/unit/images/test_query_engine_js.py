"""Runs the query-engine stand-in's JavaScript unit tests (tests/unit/images/query_engine/) with node's
own test runner, one pytest case per JavaScript test file, failing with node's report."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "query_engine"
FILES = sorted(HERE.glob("*.test.mjs"))


def test_the_javascript_tests_are_there():
    assert len(FILES) >= 2, f"expected the query-engine JavaScript tests in {HERE}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_javascript(path: Path):
    node = shutil.which("node")
    assert node, "node is needed for the query-engine tests (apt-get install nodejs; scripts/setup-venv.sh installs it)"
    run = subprocess.run([node, "--test", str(path)], capture_output=True, text=True, timeout=120, check=False)
    report = run.stdout + run.stderr
    passed = int((re.search(r"^# pass (\d+)", report, re.M) or [0, 0])[1])
    failed = int((re.search(r"^# fail (\d+)", report, re.M) or [0, -1])[1])
    assert run.returncode == 0 and failed == 0 and passed > 0, report[-4000:]
