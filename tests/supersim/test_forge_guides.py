"""The interop docs' message-passing tutorial (forge and cast), run as published against xrollup.

The tutorial is OP's "Interop message passing tutorial" (ethereum-optimism/docs,
app-developers/tutorials/interoperability/message-passing.mdx), for supersim started with
`--interop.autorelay`. Its shell steps are copied below as they are written and run in one bash
session (variables carry from step to step, as in the reader's shell); its contracts are
xrollup's own stand-ins in guides/message_passing with the tutorial's ABI (Greeter,
GreetingSender and the Greeter of "Sender information"), written for this suite. Only what this machine cannot do differs, each said where it happens:
the endpoint URLs are the test devnet's free ports; `forge init` runs with `--offline --empty`
and lib/ is made by hand (forge-std cannot be cloned here, and the tutorial does not use it); the
tutorial's `npm install @eth-optimism/contracts-bedrock` in lib/ is the same package installed
once into the test cache and linked there; forge compiles with npm's solc (FOUNDRY_SOLC).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import served
from tests.support.npm_tools import ToolSet
from tests.tools.toolsets import FOUNDRY, foundry_binary, solc_wrapper
from xrollup.testing import DevnetThread

A, B = 901, 902
GUIDE = Path(__file__).parent / "guides/message_passing"
MESSENGER = "0x4200000000000000000000000000000000000023"
OP_CONTRACTS = ToolSet("op-contracts", {"@eth-optimism/contracts-bedrock": "0.17.3"},
                       required=("node_modules/@eth-optimism/contracts-bedrock/src/libraries/Predeploys.sol",))

SETUP = """PRIVATE_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
USER_ADDRESS=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
URL_CHAIN_A=http://127.0.0.1:9545
URL_CHAIN_B=http://127.0.0.1:9546
INTEROP_BRIDGE=0x4200000000000000000000000000000000000028"""
SANITY_BALANCES = """cast balance --ether $USER_ADDRESS --rpc-url $URL_CHAIN_A
cast balance --ether $USER_ADDRESS --rpc-url $URL_CHAIN_B"""
CREATE_PROJECT = """mkdir onchain-code
cd onchain-code
forge init"""
DEPLOY_GREETER = ("GREETER_B_ADDRESS=`forge create --rpc-url $URL_CHAIN_B --private-key $PRIVATE_KEY Greeter --broadcast "
                  "| awk '/Deployed to:/ {print $3}'`")
SANITY_GREETER = """cast call --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "greet()" | cast --to-ascii
cast send --private-key $PRIVATE_KEY --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "setGreeting(string)" Hello$$
cast call --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "greet()" | cast --to-ascii"""
INSTALL_OP = """cd lib
npm install @eth-optimism/contracts-bedrock
cd ..
echo @eth-optimism/=lib/node_modules/@eth-optimism/ >> remappings.txt"""
DEPLOY_SENDER = """CHAIN_ID_B=`cast chain-id --rpc-url $URL_CHAIN_B`
GREETER_A_ADDRESS=`forge create --rpc-url $URL_CHAIN_A --private-key $PRIVATE_KEY --broadcast GreetingSender --constructor-args $GREETER_B_ADDRESS $CHAIN_ID_B | awk '/Deployed to:/ {print $3}'`"""  # noqa: E501
SEND = """cast call --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "greet()" | cast --to-ascii
cast send --private-key $PRIVATE_KEY --rpc-url $URL_CHAIN_A $GREETER_A_ADDRESS "setGreeting(string)" "Hello from chain A"
sleep 4
cast call --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "greet()" | cast --to-ascii"""
SENDER_LOGS = "cast logs --rpc-url $URL_CHAIN_B 'SetGreeting(address,string)'"
REDEPLOY = """GREETER_B_ADDRESS=`forge create --rpc-url $URL_CHAIN_B --private-key $PRIVATE_KEY Greeter --broadcast | awk '/Deployed to:/ {print $3}'`
GREETER_A_ADDRESS=`forge create --rpc-url $URL_CHAIN_A --private-key $PRIVATE_KEY --broadcast GreetingSender --constructor-args $GREETER_B_ADDRESS $CHAIN_ID_B | awk '/Deployed to:/ {print $3}'`"""  # noqa: E501
SEND_AGAIN = """cast call --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "greet()" | cast --to-ascii
cast send --private-key $PRIVATE_KEY --rpc-url $URL_CHAIN_A $GREETER_A_ADDRESS "setGreeting(string)" "Hello from chain A, with a CrossDomainSetGreeting event"
sleep 4
cast call --rpc-url $URL_CHAIN_B $GREETER_B_ADDRESS "greet()" | cast --to-ascii"""  # noqa: E501
CROSS_DOMAIN_LOGS = """cast logs --rpc-url $URL_CHAIN_B 'CrossDomainSetGreeting(address,uint256,string)'
echo $GREETER_A_ADDRESS
echo 0x385=`echo 0x385 | cast --to-dec`
echo 0x190a85c0=`echo 0x190a85c0 | cast --to-dec`"""


@pytest.fixture(scope="module")
def devnet() -> Iterator[DevnetThread]:
    """`./supersim --interop.autorelay`"""
    with served((A, B), admin_port=0) as server:
        yield server



@pytest.fixture(scope="module")
def tools_env() -> dict[str, str]:
    """forge and cast first on PATH, and npm's solc for forge."""
    FOUNDRY.install()
    solc = solc_wrapper()
    bins = [str(foundry_binary(tool).parent) for tool in ("forge", "cast")]
    return {**os.environ, "PATH": os.pathsep.join([*bins, os.environ["PATH"]]), "FOUNDRY_SOLC": str(solc)}


class Session:
    """One bash session of the reader: each step runs with `set -euo pipefail`, and the
    variables it sets and the directory it ends in carry over to the next step."""

    def __init__(self, cwd: Path, env: dict[str, str], urls: dict[str, str]) -> None:
        self.cwd, self.env, self.urls = cwd, env, urls
        self.state = cwd / ".session-env"

    def run(self, step: str) -> str:
        for published, local in self.urls.items():
            step = step.replace(published, local)
        script = f"set -euo pipefail -a\n{step}\necho \"$PWD\" > '{self.state}.pwd'\nenv -0 > '{self.state}'\n"
        done = subprocess.run(["bash", "-c", script], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{step}\nfailed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        self.env = dict(item.split("=", 1) for item in self.state.read_text().split("\0") if "=" in item)
        self.cwd = Path(Path(f"{self.state}.pwd").read_text().strip())
        return done.stdout


def topics_of_last_log(text: str) -> list[str]:
    """The topics of the last log `cast logs` printed."""
    chunk = [c for c in re.split(r"^- |\n\n", text.strip(), flags=re.M) if "topics:" in c][-1]
    return re.findall(r"0x[0-9a-f]{64}", chunk.split("topics:")[1].split("]")[0])


def test_message_passing_tutorial(devnet: DevnetThread, tools_env: dict[str, str], tmp_path: Path) -> None:
    bedrock = OP_CONTRACTS.install()
    sh = Session(tmp_path, tools_env,
                 {"http://127.0.0.1:9545": devnet.urls[A], "http://127.0.0.1:9546": devnet.urls[B]})

    sh.run(SETUP)
    balances = sh.run(SANITY_BALANCES).split()
    assert len(balances) == 2 and all(float(b) > 0 for b in balances)
    # forge-std cannot be cloned here (the tutorial does not use it): no examples, and the lib/
    # directory forge init would have cloned it into
    sh.run(CREATE_PROJECT.replace("forge init", "forge init --offline --empty\nmkdir lib"))
    assert sh.cwd == tmp_path / "onchain-code"
    shutil.copyfile(GUIDE / "Greeter.sol", sh.cwd / "src/Greeter.sol")
    sh.run(DEPLOY_GREETER)
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", sh.env["GREETER_B_ADDRESS"])
    before, _, after = sh.run(SANITY_GREETER).partition("transactionHash")
    assert "Hello" not in before
    assert re.search(r"Hello\d+", after), after  # Hello$$: the shell's pid

    # 4. the contracts-bedrock package, from the test cache instead of `npm install` in lib/
    step = INSTALL_OP.replace("npm install @eth-optimism/contracts-bedrock",
                              f"ln -s '{bedrock / 'node_modules'}' node_modules")
    sh.run(step)
    assert (sh.cwd / "remappings.txt").read_text() == "@eth-optimism/=lib/node_modules/@eth-optimism/\n"
    shutil.copyfile(GUIDE / "GreetingSender.sol", sh.cwd / "src/GreetingSender.sol")
    sh.run(DEPLOY_SENDER)
    assert sh.env["CHAIN_ID_B"] == str(B)
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", sh.env["GREETER_A_ADDRESS"])

    before, _, after = sh.run(SEND).partition("transactionHash")
    assert "Hello from chain A" not in before
    assert "Hello from chain A" in after  # relayed by the sequencer (autorelay)

    # Sender information: on B, setGreeting's caller is the messenger
    sender = topics_of_last_log(sh.run(SENDER_LOGS))[1]
    assert sender == "0x" + MESSENGER[2:].rjust(64, "0")

    shutil.copyfile(GUIDE / "Greeter.cross-domain.sol", sh.cwd / "src/Greeter.sol")
    old_b = sh.env["GREETER_B_ADDRESS"]
    sh.run(REDEPLOY)
    assert sh.env["GREETER_B_ADDRESS"] != old_b
    before, _, after = sh.run(SEND_AGAIN).partition("transactionHash")
    assert "CrossDomainSetGreeting event" not in before
    assert "Hello from chain A, with a CrossDomainSetGreeting event" in after
    out = sh.run(CROSS_DOMAIN_LOGS)
    topics = topics_of_last_log(out)
    # "the second topic is the same as $GREETER_A_ADDRESS", the third 0x385=901
    assert topics[1] == "0x" + sh.env["GREETER_A_ADDRESS"][2:].lower().rjust(64, "0")
    assert int(topics[2], 16) == A
    lines = out.strip().splitlines()
    assert lines[-3:] == [sh.env["GREETER_A_ADDRESS"], "0x385=901", "0x190a85c0=420120000"]
