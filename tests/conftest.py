import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope="session")
def root(): return ROOT

def pytest_terminal_summary(terminalreporter, exitstatus, config):
    "Print the size of the bad-input sweep (tests/test_bad_input.py::test_bad_input), which `make test` shows."
    stats = terminalreporter.stats
    cases = [r for k in ("passed", "failed", "skipped", "xfailed", "xpassed") for r in stats.get(k, [])
             if (getattr(r, "when", "call") == "call" or r.outcome == "skipped")
             and "test_bad_input.py::test_bad_input[" in getattr(r, "nodeid", "")]
    if cases:
        passed = sum(r.outcome == "passed" for r in cases)
        terminalreporter.write_line(f"bad-input sweep: {len(cases)} cases ({passed} passed)")
