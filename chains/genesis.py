"""Dev accounts and genesis state, as anvil derives them.

The same mnemonic gives the same accounts on every chain, so a dapp developer's key works
everywhere. Predeploys are plain (address, code, balance, storage) records that other packages
contribute (the mailbox, the OP messenger...); the genesis builder knows nothing about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from eth_account import Account
from eth_keys import keys

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DERIVATION_PATH = "m/44'/60'/0'/0/{index}"
WEI_PER_ETH = 10**18

# Arachnid's deterministic deployment proxy, which anvil predeploys and forge scripts use.
CREATE2_DEPLOYER = bytes.fromhex("4e59b44847b379578588920ca78fbf26c0b4956c")
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


@lru_cache(maxsize=8)
def dev_accounts(mnemonic: str = DEFAULT_MNEMONIC, count: int = 10) -> tuple[DevAccount, ...]:
    """Derive ``count`` accounts from ``mnemonic`` on m/44'/60'/0'/0/i.

    Raises ValueError for a mnemonic that is not valid BIP-39.
    """
    Account.enable_unaudited_hdwallet_features()
    accounts = []
    for index in range(count):
        acct = Account.from_mnemonic(mnemonic, account_path=DERIVATION_PATH.format(index=index))
        accounts.append(DevAccount(bytes.fromhex(acct.address[2:]), bytes(acct.key)))
    return tuple(accounts)


def genesis_state(
    accounts: tuple[DevAccount, ...], balance_wei: int, predeploys: tuple[Predeploy, ...]
) -> dict[bytes, dict[str, object]]:
    """The genesis allocation in py-evm's ``AccountState`` shape."""
    state: dict[bytes, dict[str, object]] = {
        acct.address: {"balance": balance_wei, "nonce": 0, "code": b"", "storage": {}}
        for acct in accounts
    }
    state[CREATE2_DEPLOYER] = {"balance": 0, "nonce": 0, "code": CREATE2_DEPLOYER_CODE, "storage": {}}
    for p in predeploys:
        state[p.address] = {"balance": p.balance, "nonce": p.nonce, "code": p.code, "storage": dict(p.storage)}
    return state
