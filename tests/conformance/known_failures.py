"""The tests of web3.py's module suites that xrollup fails, each with the reason.

Keys are ``Class::test_name`` (without parameters). conftest.py marks them as strict expected
failures: one that starts passing fails the run until it leaves this list. The README's
"web3.py conformance" section lists the same.
"""

from __future__ import annotations

_ENS = ("client side, before any request: web3.py's ENS name normalization raises AttributeError "
        "with the installed pyunormalize (no ENS registry is deployed either)")

KNOWN_FAILURES: dict[str, str] = {
    "TestEthModule::test_eth_get_balance_with_ens_name": _ENS,
    "TestEthModule::test_eth_get_code_ens_address": _ENS,
    "TestEthModule::test_eth_get_storage_at_ens_name": _ENS,
    "TestEthModule::test_eth_get_transaction_count_ens_name": _ENS,
    "TestEthModule::test_eth_sign_ens_names": _ENS,
    "TestEthModule::test_eth_sign_transaction_ens_names": _ENS,
    "TestWeb3Module::test_solidity_keccak_ens": _ENS,
    "TestEthModule::test_eth_simulate_v1": "eth_simulateV1 is missing",
    "TestEthModule::test_invalid_eth_sign_typed_data":
        "eth_signTypedData_v4 signs typed data whose array is shorter than its fixed-size type",
    "TestEthModule::test_sign_authorization_send_raw_and_send_set_code_transactions":
        "eth_sendTransaction ignores authorizationList (EIP-7702 only through eth_sendRawTransaction)",
}
