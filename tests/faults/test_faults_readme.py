"""The README's chapter "Testing your dapp against a misbehaving sequencer": its pytest example,
run as a dapp's own suite through pytest's ``pytester`` (the plugin's fixtures, no conftest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import xrollup.api  # noqa: F401  (imported once here: in-process runs would re-import py-evm each time)

pytest_plugins = ["pytester"]
README = Path(__file__).resolve().parents[2] / "README.md"


def chapter_example() -> str:
    text = README.read_text()
    chapter = text.split("## Testing your dapp against a misbehaving sequencer", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", chapter, re.S)
    assert len(blocks) == 1, "the chapter has one pytest example"
    return blocks[0]


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sequencer_faults=chapter_example())
    result = pytester.runpytest("-q", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=3)


def test_a_fault_left_on_is_cleared_by_the_isolation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_left_on='''
        def test_leaves_the_sequencer_down(devnet):
            devnet.set_fault("down")

        def test_next_test_mines(devnet, w3, accounts):
            assert devnet.faults()["active"] == []
            tx = w3.eth.send_transaction({"from": accounts[0].address, "to": accounts[1].address, "value": 1})
            assert w3.eth.get_transaction_receipt(tx)["status"] == 1
    ''')
    result = pytester.runpytest("-q", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2)
