"""The README's forced-inclusion example (chapter "Testing your dapp against a misbehaving
sequencer", its ```py block), run as a dapp's own suite through pytest's ``pytester``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import xrollup.api  # noqa: F401  (imported once here: in-process runs would re-import py-evm each time)

pytest_plugins = ["pytester"]
README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_forced_inclusion_example_passes(pytester: pytest.Pytester) -> None:
    chapter = README.read_text().split("## Testing your dapp against a misbehaving sequencer", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```py\n(.*?)```", chapter, re.S)
    pytester.makepyfile(test_forced_inclusion_example=example)
    result = pytester.runpytest("-q", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)
