"""The in-process Python API: a whole devnet in a test, a notebook or a script, no ports.

    from xrollup.api import Devnet

    with Devnet(chains=[901, 902]) as net:
        w3 = net.w3(901)                           # web3.py, through an in-process provider
        counter = net.deploy("Counter", 7, chain=902)
        counter.functions.increment().transact()   # from dev account 0 (w3's default account)
        status = net.send_bundle([tx_on_901, tx_on_902])   # atomic, one superblock
        snap = net.snapshot(); ...; net.revert(snap)
        urls = net.serve()                         # the same devnet on real HTTP/WS endpoints

Threading: the devnet is single-threaded by design (every state change happens on one event
loop). ``Devnet`` runs that loop in a daemon thread from the start; the in-process providers,
``serve()``'s HTTP/WebSocket servers and interval mining all run on it, so the Python API and
external clients see one consistent devnet. The API's methods may be called from any thread
(one call at a time per caller); see ``xrollup.provider`` for the one forbidden caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import AsyncWeb3, Web3
from web3.contract import Contract
from web3.datastructures import AttributeDict

from bridge_contracts import load_artifact
from chains.genesis import DEFAULT_MNEMONIC
from xrollup.config import DevnetConfig
from xrollup.devnet import Devnet as CoreDevnet
from xrollup.provider import AsyncInProcessProvider, InProcessProvider, LoopThread
from xrollup.testing import Checkpoint, checkpoint, restore

__all__ = ["Devnet", "DeployError"]

#: Gas for a bundle leg whose estimate fails (it may depend on an earlier leg of the bundle).
BUNDLE_LEG_FALLBACK_GAS = 1_000_000


class DeployError(RuntimeError):
    """A deployment transaction was mined but failed (status 0)."""


def _plain(value: Any) -> Any:
    """web3's AttributeDicts and tuples as plain dicts and lists (JSON-like results)."""
    if isinstance(value, (AttributeDict, dict)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _plain_fault_field(value: Any) -> Any:
    """A fault field as xr_setFault takes it: addresses as 0x text, lists as lists."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain_fault_field(v) for v in value]
    return value


def _hex(value: bytes | str) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value if value.startswith("0x") else "0x" + value


class Devnet:
    """A devnet of ``chains`` sharing one sequencer, running in this process.

    ``accounts``, ``mnemonic``, ``block_time`` (interval mining; None: automine) and any other
    ``DevnetConfig`` field (``no_mining``, ``gas_limit``, ``base_fee``, ``balance_eth``,
    ``order``, ``state_dir``, ``genesis_timestamp``, ``host``, ``port``, ``silent``...) are
    passed through. Nothing listens on a port until :meth:`serve`. The L1 (chain
    ``l1_chain_id``, 900) runs beside the rollups unless ``l1=False``: ``w3(900)`` talks to
    it, and :meth:`serve` puts it on a port too (``l1_url``).
    """

    def __init__(self, chains: Iterable[int] = (901, 902), *, accounts: int = 10, mnemonic: str = DEFAULT_MNEMONIC,
                 block_time: float | None = None, silent: bool = True, **config: Any) -> None:
        config.setdefault("port", 0)
        config.setdefault("l1", True)
        self.config = DevnetConfig(chain_ids=tuple(int(c) for c in chains), accounts=accounts, mnemonic=mnemonic,
                                   block_time=block_time, silent=silent, **config)
        self.core = CoreDevnet(self.config)
        self.config = self.core.config  # a state_dir's log may have restored the saved configuration
        self.accounts: list[LocalAccount] = [Account.from_key(a.private_key) for a in self.core.accounts]
        self._dev_keys: dict[str, LocalAccount] = {a.address: a for a in self.accounts}
        self._w3: dict[int, Web3] = {}
        self._closed = False
        self._loop = LoopThread(name=f"xrollup-devnet-{'-'.join(map(str, self.chain_ids))}")
        try:
            self._loop.run(self._start_services())
        except BaseException:
            self._loop.stop()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    async def _start_services(self) -> None:
        """Automine batching and interval mining on the devnet's loop, no ports."""
        self.core.start_services()

    def serve(self, port: int | None = None, host: str | None = None) -> dict[int, str]:
        """Put this devnet behind the real HTTP + WebSocket endpoints (``port`` for the first
        chain and the next ports for the others; 0: free ports; default: the ``port`` given to
        the constructor, itself 0 by default). Returns {chain id: URL}. Idempotent while
        serving. Raises OSError naming a port that is taken."""
        self._check_open()
        if self.core.serving:
            return dict(self.core.urls)

        async def start() -> None:
            core = self.core
            before = core.config
            core.config = dataclasses.replace(before, port=before.port if port is None else port,
                                              host=host or before.host)
            try:
                await core.start()
            except BaseException:
                core.config = before
                core.urls.clear()
                raise

        self._loop.run(start())
        self.config = self.core.config
        return dict(self.core.urls)

    @property
    def urls(self) -> dict[int, str]:
        """{chain id: HTTP URL} once :meth:`serve` was called, else empty."""
        return dict(self.core.urls)

    @property
    def serving(self) -> bool:
        return self.core.serving

    def close(self) -> None:
        """Stop the servers and mining and end the devnet's thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._loop.alive:
                self._loop.run(self.core.stop(), timeout=60)
        finally:
            self._loop.stop()

    def __enter__(self) -> Devnet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("serving " + ", ".join(self.core.urls.values()) if self.serving
                                               else "in-process")
        return f"<xrollup Devnet chains={list(self.chain_ids)} {state}>"

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this devnet is closed")

    # -- web3 ------------------------------------------------------------------------------

    @property
    def chain_ids(self) -> tuple[int, ...]:
        return self.config.chain_ids

    @property
    def l1_chain_id(self) -> int | None:
        """The L1's chain id; None without an L1."""
        return self.core.l1.chain_id if self.core.l1 is not None else None

    @property
    def l1_url(self) -> str | None:
        """The L1's HTTP URL once :meth:`serve` was called (None before, or without an L1)."""
        return self.core.l1.url if self.core.l1 is not None else None

    def _chain(self, chain: int | None) -> int:
        if chain is None:
            return self.chain_ids[0]
        if chain not in self.core.dispatchers and chain != self.l1_chain_id:
            raise ValueError(f"no chain {chain} in this devnet (chains: {list(self.chain_ids)})")
        return int(chain)

    def _dispatcher(self, cid: int) -> Any:
        if self.core.l1 is not None and cid == self.core.l1.chain_id:
            return self.core.l1.dispatcher
        return self.core.dispatchers[cid]

    def provider(self, chain: int | None = None) -> InProcessProvider:
        """A new in-process web3.py provider for ``chain`` (default: the first chain)."""
        cid = self._chain(chain)
        return InProcessProvider(self._dispatcher(cid), self._loop, chain_id=cid)

    def new_w3(self, chain: int | None = None) -> Web3:
        """A new ``Web3`` for ``chain`` (in-process; default account: dev account 0)."""
        w3 = Web3(self.provider(chain))
        w3.eth.default_account = self.accounts[0].address
        return w3

    def w3(self, chain: int | None = None) -> Web3:
        """The devnet's ``Web3`` for ``chain`` (one per chain, made on first use)."""
        cid = self._chain(chain)
        if cid not in self._w3:
            self._w3[cid] = self.new_w3(cid)
        return self._w3[cid]

    @property
    def web3(self) -> dict[int, Web3]:
        """{chain id: Web3} for every chain."""
        return {cid: self.w3(cid) for cid in self.chain_ids}

    def async_w3(self, chain: int | None = None) -> AsyncWeb3[Any]:
        """A new ``AsyncWeb3`` for ``chain``, for async code (any event loop)."""
        cid = self._chain(chain)
        w3: AsyncWeb3[Any] = AsyncWeb3(AsyncInProcessProvider(self._dispatcher(cid), self._loop, chain_id=cid))
        w3.eth.default_account = self.accounts[0].address
        return w3

    def request(self, method: str, params: Sequence[Any] | None = None, chain: int | None = None) -> Any:
        """A raw JSON-RPC call (``xr_*``, ``anvil_*``...): the result as plain JSON values.
        Raises web3's ``Web3RPCError`` (with ``rpc_response``) for an error reply."""
        self._check_open()
        result = self.w3(chain).manager.request_blocking(method, list(params or []))  # type: ignore[arg-type]
        return _plain(result)

    # -- accounts and transactions ------------------------------------------------------------

    def _sender(self, sender: Any) -> tuple[str, LocalAccount | None]:
        """(checksum address, account to sign locally with or None: the node signs)."""
        if sender is None:
            return self.accounts[0].address, None
        if isinstance(sender, int) and not isinstance(sender, bool):
            return self.accounts[sender].address, None
        address = sender if isinstance(sender, (str, bytes)) else getattr(sender, "address", None)
        if address is None:
            raise TypeError(f"sender must be an address, an account or a dev account index, not {sender!r}")
        address = to_checksum_address(address)
        if address in self._dev_keys:
            return address, None
        return address, sender if hasattr(sender, "sign_transaction") else None

    def _key_for(self, address: str, sender: Any) -> LocalAccount:
        if hasattr(sender, "sign_transaction"):
            return sender  # type: ignore[no-any-return]
        account = self._dev_keys.get(address)
        if account is None:
            raise ValueError(f"no key for {address}: pass its LocalAccount as 'from', or a signed raw transaction")
        return account

    def deploy(self, artifact: str | Mapping[str, Any], *args: Any, chain: int | None = None, sender: Any = None,
               value: int = 0, gas: int | None = None) -> Contract:
        """Deploy a contract and return it (a web3 ``Contract`` bound to ``chain``'s Web3).

        ``artifact``: a name from ``bridge_contracts/artifacts`` (``"Counter"``) or an artifact
        dict with ``abi`` and ``bytecode``; ``args``: constructor arguments. ``sender``: an
        address, a dev account index, or a ``LocalAccount`` (signed here); default: dev account
        0. A constructor that reverts raises web3's ``ContractLogicError`` (gas estimation).
        """
        self._check_open()
        art = load_artifact(artifact) if isinstance(artifact, str) else artifact
        name = artifact if isinstance(artifact, str) else art.get("contractName", "the artifact")
        abi, bytecode = art["abi"], art.get("bytecode") or "0x"
        if bytecode in ("0x", ""):
            raise ValueError(f"{name} has no creation code (an interface or an abstract contract?)")
        w3 = self.w3(chain)
        constructor = w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args)
        address, signer = self._sender(sender)
        tx: dict[str, Any] = {"from": address, "value": value}
        if gas is not None:
            tx["gas"] = gas
        if signer is None:
            tx_hash = constructor.transact(tx)  # type: ignore[arg-type]
        else:
            tx["nonce"] = w3.eth.get_transaction_count(address, "pending")  # type: ignore[arg-type]
            built = constructor.build_transaction(tx)  # type: ignore[arg-type]
            tx_hash = w3.eth.send_raw_transaction(signer.sign_transaction(built).raw_transaction)  # type: ignore[arg-type]
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.02)
        if receipt["status"] != 1:
            raise DeployError(f"deploying {name} on chain {w3.provider.chain_id} failed "  # type: ignore[attr-defined]
                              f"(tx 0x{bytes(tx_hash).hex()})")
        return cast(Contract, w3.eth.contract(address=receipt["contractAddress"], abi=abi))

    def sign(self, tx: Mapping[str, Any], _nonces: dict[tuple[int, str], int] | None = None) -> bytes:
        """Sign a transaction dict with its ``from`` account (dev account 0 if absent; a
        ``LocalAccount`` as ``from`` signs for itself). ``chainId`` is required; nonce, gas and
        EIP-1559 fees are filled in when missing (gas: estimated, else 1,000,000)."""
        fields = dict(tx)
        if "chainId" not in fields:
            raise ValueError(f"a transaction to sign needs a chainId (one of {list(self.chain_ids)})")
        cid = self._chain(int(fields["chainId"]))
        sender = fields.pop("from", None)
        address, signer = self._sender(sender)
        key = signer or self._key_for(address, sender)
        w3 = self.w3(cid)
        if "nonce" not in fields:
            nonces = {} if _nonces is None else _nonces
            slot = (cid, address)
            if slot not in nonces:
                nonces[slot] = w3.eth.get_transaction_count(address, "pending")  # type: ignore[arg-type]
            fields["nonce"] = nonces[slot]
            nonces[slot] += 1
        if "gasPrice" not in fields and "maxFeePerGas" not in fields:
            tip = fields.get("maxPriorityFeePerGas", w3.eth.max_priority_fee)
            fields["maxFeePerGas"] = 2 * w3.eth.gas_price + tip
            fields["maxPriorityFeePerGas"] = tip
        if "gas" not in fields:
            probe = {k: fields[k] for k in ("to", "data", "value") if k in fields}
            try:
                fields["gas"] = w3.eth.estimate_gas({"from": address, **probe})  # type: ignore[typeddict-item]
            except Exception:  # may depend on an earlier leg of the same bundle
                fields["gas"] = BUNDLE_LEG_FALLBACK_GAS
        return bytes(key.sign_transaction(fields).raw_transaction)

    def send_bundle(self, txs: Sequence[bytes | str | Mapping[str, Any]], reverting: Iterable[int | bytes | str] = (),
                    *, min_superblock: int | None = None, max_superblock: int | None = None) -> dict[str, Any]:
        """Submit an atomic multi-chain bundle (``xr_sendBundle``): every leg in one superblock,
        in order, or none. ``txs``: signed raw transactions, or transaction dicts to sign (see
        :meth:`sign`; consecutive nonces per sender and chain). ``reverting``: legs allowed to
        revert, by index or transaction hash. Returns the bundle status (``bundleHash``,
        ``status``, ``superblock``, ``legs``); a failed bundle raises web3's ``Web3RPCError``
        whose ``rpc_response["error"]["data"]`` names the failed leg."""
        self._check_open()
        if not txs:
            raise ValueError("a bundle needs at least one transaction")
        nonces: dict[tuple[int, str], int] = {}
        raws = [self.sign(t, nonces) if isinstance(t, Mapping) else HexBytes(t) for t in txs]
        allowed = []
        for item in reverting:
            if isinstance(item, (bytes, str)):
                allowed.append(_hex(item))
            else:  # an index into txs
                allowed.append("0x" + keccak(raws[item]).hex())
        spec: dict[str, Any] = {"txs": [_hex(bytes(r)) for r in raws]}
        if allowed:
            spec["revertingTxHashes"] = allowed
        if min_superblock is not None:
            spec["minSuperblock"] = hex(min_superblock)
        if max_superblock is not None:
            spec["maxSuperblock"] = hex(max_superblock)
        return self.request("xr_sendBundle", [spec])  # type: ignore[no-any-return]

    # -- superblocks, mining, snapshots --------------------------------------------------------

    def superblock(self, number: int | str = "latest", full: bool = False) -> dict[str, Any] | None:
        """A superblock (``xr_getSuperblockByNumber``): its number, hash, the block of each chain
        that advanced in it (``blocks``) and every chain's head as of it (``heads``)."""
        ref = hex(number) if isinstance(number, int) else number
        return self.request("xr_getSuperblockByNumber", [ref, full])  # type: ignore[no-any-return]

    def mine(self, blocks: int = 1) -> int:
        """Mine ``blocks`` superblocks now (whatever the mining mode); returns the new height."""
        self.request("anvil_mine", [hex(blocks)])
        return int(self.request("xr_blockNumber"), 16)

    def snapshot(self) -> int:
        """Snapshot every chain (``evm_snapshot``); returns the id to :meth:`revert` to."""
        return int(self.request("evm_snapshot"), 16)

    def revert(self, snapshot_id: int) -> bool:
        """Go back to a snapshot (every chain, pools, clock); it and later ones are consumed.
        Returns False for an unknown id."""
        return bool(self.request("evm_revert", [hex(snapshot_id)]))

    # -- fault modes (shared_sequencer/faults.py) ----------------------------------------------

    def set_fault(self, kind: str, **fields: Any) -> int:
        """Make the sequencer misbehave (``xr_setFault``): ``set_fault("down")``,
        ``set_fault("censor", senders=[addr], contracts=[...], chains=[902])``,
        ``set_fault("delay", chains=[902], senders=[...], messages=True, superblocks=3, seconds=0)``,
        ``set_fault("halt", chainId=902)``. Returns the fault's id."""
        spec = {"kind": kind, **{k: _plain_fault_field(v) for k, v in fields.items()}}
        return int(self.request("xr_setFault", [spec])["id"])

    def clear_fault(self, fault: int | str) -> list[int]:
        """End a fault by id, or every fault of a kind (``xr_clearFault``); returns their ids."""
        return list(self.request("xr_clearFault", [fault]))

    def faults(self) -> dict[str, Any]:
        """``xr_faults``: the active faults, every fault period, the reorgs, what is held back."""
        return cast(dict[str, Any], self.request("xr_faults"))

    def reorg(self, depth: int) -> dict[str, Any]:
        """Drop the last ``depth`` superblocks and sequence again (``xr_reorg``)."""
        return cast(dict[str, Any], self.request("xr_reorg", [depth]))

    @contextmanager
    def fault(self, *, down: bool = False, censor: Any = None, halt: int | None = None,
              delay: Mapping[str, Any] | None = None) -> Iterator[list[int]]:
        """The sequencer misbehaves inside the block and behaves again on exit (what was held
        back is then sequenced)::

            with devnet.fault(censor=alice.address): ...      # a sender (or {"contracts": [...]})
            with devnet.fault(down=True): ...
            with devnet.fault(halt=902): ...
            with devnet.fault(delay={"chains": [902], "superblocks": 3}): ...

        Yields the ids of the faults set."""
        ids: list[int] = []
        try:
            if down:
                ids.append(self.set_fault("down"))
            if censor is not None:
                fields = dict(censor) if isinstance(censor, Mapping) else {
                    "senders": list(censor) if isinstance(censor, (list, tuple, set)) else [censor]}
                ids.append(self.set_fault("censor", **fields))
            if halt is not None:
                ids.append(self.set_fault("halt", chainId=halt))
            if delay is not None:
                ids.append(self.set_fault("delay", **delay))
            yield ids
        finally:
            if not self._closed:
                active = {f["id"] for f in self.faults()["active"]}
                for fault_id in ids:
                    if fault_id in active:
                        self.clear_fault(fault_id)

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Everything done inside is undone on exit: the chains (a snapshot), the mining mode,
        the coinbase and the impersonated accounts; a reset or loaded state is put back too.
        What the pytest plugin wraps every test in."""
        self._check_open()
        saved = self._loop.call(self._checkpoint)
        try:
            yield
        finally:
            if not self._closed:
                self._loop.call(self._restore, saved)

    def _checkpoint(self) -> Checkpoint:
        return checkpoint(self.core)

    def _restore(self, saved: Checkpoint) -> None:
        restore(self.core, saved)

