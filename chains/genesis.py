"""Dev accounts and genesis state, as anvil derives them.

The same mnemonic gives the same accounts on every chain, so a dapp developer's key works
everywhere. Predeploys are plain (address, code, balance, storage) records that other packages
contribute (the mailbox, the OP messenger...); the genesis builder knows nothing about them.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from coincurve import PrivateKey as CurveKey
from eth_keys import keys
from eth_typing import Address

if TYPE_CHECKING:
    from eth.typing import AccountDetails

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DERIVATION_PATH = "m/44'/60'/0'/0/{index}"
WEI_PER_ETH = 10**18

# Arachnid's deterministic deployment proxy, which anvil predeploys and forge scripts use.
CREATE2_DEPLOYER = Address(bytes.fromhex("4e59b44847b379578588920ca78fbf26c0b4956c"))
CREATE2_DEPLOYER_CODE = bytes.fromhex(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082"
    "378035828234f58015156039578182fd5b8082525050506014600cf3"
)


@dataclass(frozen=True)
class DevAccount:
    address: bytes
    private_key: bytes

    @property
    def checksum_address(self) -> str:
        return keys.PrivateKey(self.private_key).public_key.to_checksum_address()


@dataclass(frozen=True)
class Predeploy:
    address: bytes
    code: bytes
    balance: int = 0
    storage: dict[int, int] = field(default_factory=dict)
    name: str = ""
    nonce: int = 1  # EIP-161: a contract account starts at nonce 1


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HARDENED = 0x80000000


@lru_cache(maxsize=8)
def dev_accounts(mnemonic: str = DEFAULT_MNEMONIC, count: int = 10) -> tuple[DevAccount, ...]:
    """Derive ``count`` accounts from ``mnemonic`` on m/44'/60'/0'/0/i (BIP-39 seed, BIP-32
    keys), as anvil and eth_account do, without importing eth_account: its import pulls in
    BLS pairing tables and costs most of a second of start-up.

    Raises ValueError for a mnemonic that is not valid BIP-39 English.
    """
    check_mnemonic(mnemonic)
    words = " ".join(mnemonic.split())
    seed = hashlib.pbkdf2_hmac("sha512", words.encode(), b"mnemonic", 2048)
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    key, chain_code = digest[:32], digest[32:]
    for index in (44 | HARDENED, 60 | HARDENED, 0 | HARDENED, 0):
        key, chain_code = _child(key, chain_code, index)
    accounts = []
    for index in range(count):
        child, _ = _child(key, chain_code, index)
        accounts.append(DevAccount(keys.PrivateKey(child).public_key.to_canonical_address(), child))
    return tuple(accounts)


def _child(key: bytes, chain_code: bytes, index: int) -> tuple[bytes, bytes]:
    """BIP-32 private child key derivation."""
    if index & HARDENED:
        data = b"\x00" + key + index.to_bytes(4, "big")
    else:
        data = CurveKey(key).public_key.format(compressed=True) + index.to_bytes(4, "big")
    digest = hmac.new(chain_code, data, hashlib.sha512).digest()
    child = (int.from_bytes(digest[:32], "big") + int.from_bytes(key, "big")) % SECP256K1_N
    return child.to_bytes(32, "big"), digest[32:]


def check_mnemonic(mnemonic: str) -> None:
    """BIP-39: English words from the standard list and a valid checksum. Raises ValueError."""
    spec = importlib.util.find_spec("eth_account")  # its word list, without importing it
    assert spec is not None and spec.submodule_search_locations
    wordlist_path = Path(spec.submodule_search_locations[0]) / "hdaccount" / "wordlist" / "english.txt"
    wordlist = wordlist_path.read_text(encoding="utf-8").split()
    index = {w: i for i, w in enumerate(wordlist)}
    words = mnemonic.split()
    if len(words) not in (12, 15, 18, 21, 24):
        raise ValueError(f"a mnemonic has 12, 15, 18, 21 or 24 words, not {len(words)}")
    unknown = [w for w in words if w not in index]
    if unknown:
        raise ValueError(f"not BIP-39 English words: {', '.join(unknown)}")
    bits = "".join(format(index[w], "011b") for w in words)
    entropy_bits = len(bits) * 32 // 33
    entropy = int(bits[:entropy_bits], 2).to_bytes(entropy_bits // 8, "big")
    checksum = format(hashlib.sha256(entropy).digest()[0], "08b")[: len(bits) - entropy_bits]
    if bits[entropy_bits:] != checksum:
        raise ValueError("invalid mnemonic: checksum mismatch")


def genesis_state(
    accounts: tuple[DevAccount, ...], balance_wei: int, predeploys: tuple[Predeploy, ...]
) -> dict[Address, AccountDetails]:
    """The genesis allocation in py-evm's ``AccountState`` shape."""
    state: dict[Address, AccountDetails] = {
        Address(acct.address): {"balance": balance_wei, "nonce": 0, "code": b"", "storage": {}}
        for acct in accounts
    }
    state[CREATE2_DEPLOYER] = {"balance": 0, "nonce": 0, "code": CREATE2_DEPLOYER_CODE, "storage": {}}
    for p in predeploys:
        state[Address(p.address)] = {"balance": p.balance, "nonce": p.nonce, "code": p.code, "storage": dict(p.storage)}
    return state
