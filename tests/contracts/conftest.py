"""Test setup for the Solidity contracts.

The artifact check (``build.py --check``, a full solcjs rebuild, several seconds) is started
in the background as soon as collection finishes and its test is moved to the end of the
run, so the compile overlaps the EVM tests instead of adding to them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.contracts import build_check

HERE = Path(__file__).resolve().parent

BUILD_CHECK_TEST = "test_artifacts_match_sources"


def _is_build_check(item: pytest.Item) -> bool:
    return item.name == BUILD_CHECK_TEST and item.path.parent == HERE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    checks = [i for i in items if _is_build_check(i)]
    if checks:
        items[:] = [i for i in items if not _is_build_check(i)] + checks


def pytest_collection_finish(session: pytest.Session) -> None:
    if shutil.which("node") and any(_is_build_check(i) for i in session.items):
        build_check.start()


def pytest_sessionfinish() -> None:
    build_check.stop()
