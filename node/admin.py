"""supersim's admin API (admin_*), with supersim's method names and answer shapes.

Served on its own port (``--admin.port``), as supersim serves it, over ``backend.admin``'s
services. The shapes follow supersim's ``admin/admin.go``: ``admin_getConfig`` is its
``NetworkConfig`` (Go field names), messages use its ``JSONL2ToL2Message`` keys, access lists
its ``{"accessList": [{"address", "storageKeys"}]}``.
"""

from __future__ import annotations

import inspect
from typing import Any

from backend.admin import AccessTuple, AdminServices, NetworkInfo
from node import params as p
from node.views import d
from rpc.jsonrpc import Method, MethodTable, Param
from shared_sequencer.interop import Identifier

DERIVATION_PATH = "m/44'/60'/0'/0"  # supersim's accounts.DefaultRootDerivationPath


def _number(value: Any) -> int:
    """A JSON number, a decimal string or a 0x-hex string (Go's HexOrDecimal256)."""
    if isinstance(value, str) and value and not value.startswith("0x") and value.isdigit():
        return int(value)
    return p.quantity(value)


def identifier_param(value: Any) -> tuple[Identifier, bytes]:
    """{origin, blockNumber, logIndex, timestamp, chainId, payload}, every field required."""
    fields = ("origin", "blockNumber", "logIndex", "timestamp", "chainId", "payload")
    if not isinstance(value, dict):
        raise ValueError("Invalid parameters: identifier is required")
    if any(value.get(f) in (None, "", "0x") for f in fields):
        raise ValueError("Invalid parameters: all identifier fields and payload are required")
    origin = p.address(value["origin"])
    if origin == b"\x00" * 20:
        raise ValueError("Invalid parameters: all identifier fields and payload are required")
    ident = Identifier(origin, _number(value["blockNumber"]), _number(value["logIndex"]),
                       _number(value["timestamp"]), _number(value["chainId"]))
    return ident, p.data(value["payload"])


def msg_hash_param(value: Any) -> bytes:
    raw = p.hash32(value)
    if raw == b"\x00" * 32:
        raise ValueError("Valid msg hash not provided")
    return raw


def _access_list_json(tuples: list[AccessTuple]) -> dict[str, Any]:
    return {"accessList": [{"address": d(t.address), "storageKeys": [d(k) for k in t.storage_keys]}
                           for t in tuples]}


def _chain_name(index: int, chain_id: int) -> str:
    """supersim names its chains OPChainA, OPChainB...; past Z, by chain id."""
    return f"OPChain{chr(ord('A') + index)}" if index < 26 else f"OPChain{chain_id}"


def config_json(info: NetworkInfo, ports: dict[int, int], dependency_sets: dict[int, list[int]]) -> dict[str, Any]:
    """supersim's ``NetworkConfig`` for this devnet. Without an L1 (--no-l1) ``L1Config`` is
    null and each L2's ``L1ChainID`` is 0 with no ``L1Addresses``."""
    secrets = {"Accounts": info.accounts, "Mnemonic": info.mnemonic, "DerivationPath": DERIVATION_PATH}
    block_time = int(info.block_time) if info.block_time else 0
    l2s = [{
        "Name": _chain_name(index, cid),
        "Host": info.host,
        "Port": ports.get(cid, 0),
        "ChainID": cid,
        "BlockTime": block_time,
        "GenesisJSON": None,
        "SecretsConfig": secrets,
        "ForkConfig": None,
        "L2Config": {"L1ChainID": info.l1.chain_id if info.l1 else 0,
                     "L1Addresses": info.l1.addresses.get(cid) if info.l1 else None,
                     "DependencySet": dependency_sets[cid]},
        "StartingTimestamp": info.genesis_timestamp,
        "LogsDirectory": info.logs_directory,
        "OdysseyEnabled": False,
        "InteropL2ToL2CDMOverrideArtifactPath": "",
    } for index, cid in enumerate(info.chain_ids)]
    l1 = None if info.l1 is None else {
        "Name": "L1", "Host": info.host, "Port": info.l1.port, "ChainID": info.l1.chain_id,
        "BlockTime": int(info.l1.block_time) or 1, "GenesisJSON": None, "SecretsConfig": secrets, "ForkConfig": None,
        "L2Config": None, "StartingTimestamp": info.genesis_timestamp, "LogsDirectory": info.logs_directory,
        "OdysseyEnabled": False, "InteropL2ToL2CDMOverrideArtifactPath": "",
    }
    return {
        "L1Config": l1,
        "L2StartingPort": info.starting_port,
        "L2Configs": l2s,
        "InteropEnabled": True,
        "InteropAutoRelay": info.autorelay,
        "InteropDelay": info.delay,
    }


class AdminApi:
    def __init__(self, services: AdminServices) -> None:
        self.services = services

    def admin_getConfig(self) -> dict[str, Any]:
        info = self.services.info()
        return config_json(info, self.services.ports(),
                           {cid: self.services.dependency_set(cid) for cid in info.chain_ids})

    def admin_getL1Addresses(self, chain_id: int) -> dict[str, str]:
        return self.services.l1_addresses(chain_id)

    def admin_getL2ToL2MessageByMsgHash(self, msg_hash: bytes) -> dict[str, Any]:
        msg = self.services.message(msg_hash)
        return {"Destination": msg.destination, "Source": msg.source, "Nonce": msg.nonce,
                "Sender": d(msg.sender), "Target": d(msg.target), "Message": d(msg.message)}

    def admin_getAccessListForIdentifier(self, ident: tuple[Identifier, bytes]) -> dict[str, Any]:
        return _access_list_json(self.services.access_list_for(*ident))

    def admin_getAccessListByMsgHash(self, msg_hash: bytes) -> dict[str, Any]:
        return _access_list_json(self.services.access_list_by_hash(msg_hash))


def _m(name: str, handler: Any, *params: Param) -> Method:
    return Method(name, handler, tuple(params), (), needs_connection=False,
                  is_async=inspect.iscoroutinefunction(handler))


def build_admin_table(services: AdminServices) -> MethodTable:
    """supersim's admin methods, over ``services``."""
    api = AdminApi(services)
    msg_hash = Param("msgHash", msg_hash_param)
    return MethodTable([
        _m("admin_getConfig", api.admin_getConfig),
        _m("admin_getL1Addresses", api.admin_getL1Addresses, Param("chainId", _number)),
        _m("admin_getL2ToL2MessageByMsgHash", api.admin_getL2ToL2MessageByMsgHash, msg_hash),
        _m("admin_getAccessListForIdentifier", api.admin_getAccessListForIdentifier,
           Param("identifier", identifier_param)),
        _m("admin_getAccessListByMsgHash", api.admin_getAccessListByMsgHash, msg_hash),
    ])


__all__ = ["AdminApi", "build_admin_table", "config_json"]
