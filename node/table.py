"""The declarative method table of one chain's endpoint: name, parameters, aliases.

Each parameter's parser is named here once; handlers receive parsed values.
"""

from __future__ import annotations

import inspect
from typing import Any

from backend import Backend
from chains.tracing import TraceOptions
from node import params as p
from node.debug import DebugApi, trace_options
from node.dev import DevApi
from node.eth_extra import EthExtraApi
from node.faults import FaultApi
from node.filters import ChainEvents
from node.flashbots import FlashbotsApi, call_bundle_param, send_bundle_param
from node.mev import MevApi, report_range
from node.ordering import LaneRequest, OrderingApi, bid_param, controller, lane_options, opt_chain, ordering_param
from node.simulate import SimulateApi, simulate_options
from node.xr import XrApi, bundle_param
from rpc.jsonrpc import Connection, Method, MethodTable, Param

ADDRESS = Param("address", p.address)
BLOCK = Param("block", p.block_ref, optional=True, default="latest")
TX = Param("transaction", p.tx_object)
HASH = Param("hash", p.hash32)
FULL = Param("fullTransactions", p.boolean, optional=True, default=False)
INDEX = Param("index", p.uint64)
ANY = Param("overrides", p.any_value, optional=True)
TRACE = Param("options", trace_options, optional=True, default=TraceOptions())  # tracing


def M(name: str, handler: Any, *params: Param, aliases: tuple[str, ...] = (), conn: bool = False) -> Method:
    return Method(name, handler, tuple(params), aliases, needs_connection=conn,
                  is_async=inspect.iscoroutinefunction(handler))


def build_table(backend: Backend, chain_id: int, events: ChainEvents) -> MethodTable:
    """Every method of chain ``chain_id``'s endpoint, over ``backend`` (held for the life of
    the server) and the chain's filters and subscriptions."""
    eth, dev, xr = EthExtraApi(backend, chain_id), DevApi(backend, chain_id), XrApi(backend, chain_id)
    debug = DebugApi(backend, chain_id)  # tracing
    ordering = OrderingApi(backend, chain_id)
    flashbots = FlashbotsApi(backend, chain_id)
    mev = MevApi(backend)
    faults = FaultApi(backend)
    sim = SimulateApi(backend, chain_id)

    def subscribe(conn: Connection, kind: str, arg: Any = None) -> str:
        return events.subscribe(conn, kind, arg, p.log_filter)

    return MethodTable([
        # node
        M("eth_chainId", eth.eth_chainId),
        M("net_version", eth.net_version),
        M("net_listening", eth.net_listening),
        M("net_peerCount", eth.net_peerCount),
        M("web3_clientVersion", eth.web3_clientVersion),
        M("web3_sha3", eth.web3_sha3, Param("data", p.data)),
        M("eth_syncing", eth.eth_syncing),
        M("eth_mining", eth.eth_mining),
        M("eth_hashrate", eth.eth_hashrate),
        M("eth_coinbase", eth.eth_coinbase),
        M("eth_accounts", eth.eth_accounts),
        M("eth_blockNumber", eth.eth_blockNumber),
        # fees
        M("eth_gasPrice", eth.eth_gasPrice),
        M("eth_maxPriorityFeePerGas", eth.eth_maxPriorityFeePerGas),
        M("eth_blobBaseFee", eth.eth_blobBaseFee),
        M("eth_feeHistory", eth.eth_feeHistory, Param("blockCount", p.uint64),
          Param("newestBlock", p.block_number_or_tag), Param("rewardPercentiles", p.percentiles, optional=True)),
        # state
        M("eth_getBalance", eth.eth_getBalance, ADDRESS, BLOCK),
        M("eth_getTransactionCount", eth.eth_getTransactionCount, ADDRESS, BLOCK),
        M("eth_getCode", eth.eth_getCode, ADDRESS, BLOCK),
        M("eth_getAccountInfo", eth.eth_getAccountInfo, ADDRESS, BLOCK),
        M("eth_getStorageAt", eth.eth_getStorageAt, ADDRESS, Param("slot", p.quantity), BLOCK),
        M("eth_getProof", eth.eth_getProof, ADDRESS, Param("storageKeys", p.storage_keys), BLOCK),
        # execution
        M("eth_call", eth.eth_call, TX, BLOCK, Param("stateOverrides", p.state_overrides, optional=True)),
        M("eth_estimateGas", eth.eth_estimateGas, TX, BLOCK, ANY),
        M("eth_createAccessList", eth.eth_createAccessList, TX, BLOCK),
        M("eth_simulateV1", sim.eth_simulateV1, Param("options", simulate_options), BLOCK),
        M("eth_sendRawTransaction", eth.eth_sendRawTransaction, Param("data", p.data)),
        M("eth_sendTransaction", eth.eth_sendTransaction, TX),
        M("eth_sendRawTransactionSync", eth.eth_sendRawTransactionSync, Param("data", p.data),
          Param("timeout", p.quantity, optional=True)),
        M("eth_signTransaction", eth.eth_signTransaction, TX),
        M("eth_sign", eth.eth_sign, ADDRESS, Param("message", p.data)),
        M("personal_sign", eth.personal_sign, Param("message", p.data), ADDRESS),
        M("eth_signTypedData_v4", eth.eth_signTypedData_v4, ADDRESS, Param("typedData", p.typed_data),
          aliases=("eth_signTypedData",)),
        # transactions, receipts, blocks
        M("eth_getTransactionByHash", eth.eth_getTransactionByHash, HASH),
        M("eth_getTransactionReceipt", eth.eth_getTransactionReceipt, HASH),
        M("eth_getRawTransactionByHash", eth.eth_getRawTransactionByHash, HASH),
        M("eth_getRawTransactionByBlockNumberAndIndex", eth.eth_getRawTransactionByBlockNumberAndIndex,
          Param("block", p.block_number_or_tag), INDEX),
        M("eth_getRawTransactionByBlockHashAndIndex", eth.eth_getRawTransactionByBlockHashAndIndex, HASH, INDEX),
        M("eth_getBlockReceipts", eth.eth_getBlockReceipts, Param("block", p.block_ref)),
        M("eth_getBlockByNumber", eth.eth_getBlockByNumber, Param("block", p.block_number_or_tag), FULL),
        M("eth_getBlockByHash", eth.eth_getBlockByHash, HASH, FULL),
        M("eth_getBlockTransactionCountByNumber", eth.eth_getBlockTransactionCountByNumber,
          Param("block", p.block_number_or_tag)),
        M("eth_getBlockTransactionCountByHash", eth.eth_getBlockTransactionCountByHash, HASH),
        M("eth_getTransactionByBlockNumberAndIndex", eth.eth_getTransactionByBlockNumberAndIndex,
          Param("block", p.block_number_or_tag), INDEX),
        M("eth_getTransactionByBlockHashAndIndex", eth.eth_getTransactionByBlockHashAndIndex, HASH, INDEX),
        M("eth_getUncleCountByBlockNumber", eth.eth_getUncleCountByBlockNumber, Param("block", p.any_value),
          aliases=("eth_getUncleCountByBlockHash",)),
        M("eth_getUncleByBlockNumberAndIndex", eth.eth_getUncleByBlockNumberAndIndex, Param("block", p.any_value),
          Param("index", p.any_value), aliases=("eth_getUncleByBlockHashAndIndex",)),
        # logs, filters, subscriptions
        M("eth_getLogs", eth.eth_getLogs, Param("filter", p.log_filter)),
        M("eth_newFilter", lambda f: events.new_filter("logs", f), Param("filter", p.log_filter)),
        M("eth_newBlockFilter", lambda: events.new_filter("blocks")),
        M("eth_newPendingTransactionFilter", lambda: events.new_filter("pending")),
        M("eth_getFilterChanges", events.changes, Param("filterId", p.string)),
        M("eth_getFilterLogs", events.filter_logs, Param("filterId", p.string)),
        M("eth_uninstallFilter", events.uninstall, Param("filterId", p.string)),
        M("eth_subscribe", subscribe, Param("kind", p.string), Param("params", p.any_value, optional=True), conn=True),
        M("eth_unsubscribe", events.unsubscribe, Param("subscriptionId", p.string)),
        # dev: snapshots, mining, time
        M("evm_snapshot", dev.evm_snapshot, aliases=("anvil_snapshot",)),
        M("evm_revert", dev.evm_revert, Param("snapshotId", p.quantity), aliases=("anvil_revert",)),
        M("evm_mine", dev.evm_mine, Param("options", p.mine_options, optional=True, default=p.MineOptions()),
          aliases=("anvil_mine_detailed",)),
        M("anvil_mine", dev.anvil_mine, Param("count", p.mine_count, optional=True),
          Param("interval", p.seconds, optional=True), aliases=("hardhat_mine",)),
        M("evm_increaseTime", dev.evm_increaseTime, Param("seconds", p.seconds), aliases=("anvil_increaseTime",)),
        M("evm_setNextBlockTimestamp", dev.evm_setNextBlockTimestamp, Param("timestamp", p.timestamp),
          aliases=("anvil_setNextBlockTimestamp",)),
        M("evm_setTime", dev.anvil_setTime, Param("timestamp", p.timestamp), aliases=("anvil_setTime",)),
        M("evm_setAutomine", dev.evm_setAutomine, Param("enabled", p.boolean), aliases=("anvil_setAutomine",)),
        M("anvil_getAutomine", dev.anvil_getAutomine, aliases=("hardhat_getAutomine",)),
        M("evm_setIntervalMining", dev.evm_setIntervalMining, Param("seconds", p.seconds),
          aliases=("anvil_setIntervalMining",)),
        # dev: state
        M("anvil_setBalance", dev.anvil_setBalance, ADDRESS, Param("balance", p.quantity), aliases=("hardhat_setBalance",)),
        M("anvil_setNonce", dev.anvil_setNonce, ADDRESS, Param("nonce", p.uint64), aliases=("hardhat_setNonce",)),
        M("anvil_setCode", dev.anvil_setCode, ADDRESS, Param("code", p.data), aliases=("hardhat_setCode",)),
        M("anvil_setStorageAt", dev.anvil_setStorageAt, ADDRESS, Param("slot", p.quantity), Param("value", p.data),
          aliases=("hardhat_setStorageAt",)),
        M("anvil_impersonateAccount", dev.anvil_impersonateAccount, ADDRESS, aliases=("hardhat_impersonateAccount",)),
        M("anvil_stopImpersonatingAccount", dev.anvil_stopImpersonatingAccount, ADDRESS,
          aliases=("hardhat_stopImpersonatingAccount",)),
        M("anvil_setNextBlockBaseFeePerGas", dev.anvil_setNextBlockBaseFeePerGas, Param("baseFee", p.base_fee),
          aliases=("hardhat_setNextBlockBaseFeePerGas",)),
        M("anvil_setCoinbase", dev.anvil_setCoinbase, ADDRESS, aliases=("hardhat_setCoinbase",)),
        M("anvil_setNextBlockPrevRandao", dev.anvil_setNextBlockPrevRandao, Param("prevRandao", p.prev_randao)),
        M("hardhat_setPrevRandao", dev.hardhat_setPrevRandao, Param("prevRandao", p.prev_randao)),
        M("evm_setBlockGasLimit", dev.evm_setBlockGasLimit, Param("gasLimit", p.quantity)),
        M("anvil_nodeInfo", dev.anvil_nodeInfo),
        M("anvil_dumpState", dev.anvil_dumpState, aliases=("hardhat_dumpState",)),
        M("anvil_loadState", dev.anvil_loadState, Param("state", p.data), aliases=("hardhat_loadState",)),
        M("anvil_reset", dev.anvil_reset, Param("options", p.any_value, optional=True), aliases=("hardhat_reset",)),
        # the pool
        M("anvil_dropTransaction", dev.anvil_dropTransaction, HASH),
        M("hardhat_dropTransaction", dev.hardhat_dropTransaction, HASH),
        M("anvil_dropAllTransactions", dev.anvil_dropAllTransactions),
        M("txpool_status", dev.txpool_status),
        M("txpool_content", dev.txpool_content),
        M("txpool_inspect", dev.txpool_inspect),
        # the devnet
        M("xr_chains", xr.xr_chains, aliases=("xr_contracts",)),
        M("xr_blockNumber", xr.xr_blockNumber),
        M("xr_getSuperblockByNumber", xr.xr_getSuperblockByNumber, Param("number", p.block_number_or_tag), FULL),
        M("xr_getSuperblockByHash", xr.xr_getSuperblockByHash, HASH, FULL),
        M("xr_getSuperblockOfBlock", xr.xr_getSuperblockOfBlock, Param("block", p.block_ref), FULL),
        M("xr_sendBundle", xr.xr_sendBundle, Param("bundle", bundle_param)),
        M("xr_simulateBundle", xr.xr_simulateBundle, Param("bundle", bundle_param)),
        M("xr_getBundleStatus", xr.xr_getBundleStatus, Param("bundleHash", p.hash32)),
        # Flashbots bundles on this chain's blocks
        M("eth_sendBundle", flashbots.eth_sendBundle, Param("bundle", send_bundle_param)),
        M("eth_callBundle", flashbots.eth_callBundle, Param("bundle", call_bundle_param)),
        M("xr_getMevReport", mev.xr_getMevReport, Param("superblocks", report_range)),
        # ordering policies
        M("xr_getOrdering", ordering.xr_getOrdering),
        M("xr_setOrdering", ordering.xr_setOrdering, Param("policy", ordering_param),
          Param("chainId", opt_chain, optional=True, default=None)),
        M("xr_setExpressLane", ordering.xr_setExpressLane, Param("controller", controller, optional=True, default=None),
          Param("options", lane_options, optional=True, default=LaneRequest(None, None))),
        M("xr_submitExpressLaneBid", ordering.xr_submitExpressLaneBid, Param("bid", bid_param)),
        M("xr_getExpressLaneAuction", ordering.xr_getExpressLaneAuction,
          Param("chainId", opt_chain, optional=True, default=None)),
        # fault modes (node/faults.py, shared_sequencer/faults.py)
        M("xr_setFault", faults.xr_setFault, Param("fault", p.fault)),
        M("xr_clearFault", faults.xr_clearFault, Param("fault", p.fault_selector)),
        M("xr_faults", faults.xr_faults),
        M("xr_reorg", faults.xr_reorg, Param("depth", p.reorg_depth)),
        # -- tracing (node/debug.py, chains/tracing/) ---------------------------------------
        M("debug_traceTransaction", debug.debug_traceTransaction, HASH, TRACE),
        M("debug_traceCall", debug.debug_traceCall, TX, BLOCK, TRACE),
        M("debug_traceBlockByNumber", debug.debug_traceBlockByNumber, Param("block", p.block_number_or_tag), TRACE),
        M("debug_traceBlockByHash", debug.debug_traceBlockByHash, HASH, TRACE),
        # -- end of tracing ------------------------------------------------------------------
    ])
