"""The ``xrollup`` command: start the devnet (anvil's flags), or replay a superblock log."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from chains.engine import DEFAULT_FORK, FORKS
from chains.errors import XRollupError
from shared_sequencer.faults import FLAG_HELP as FAULT_FLAG_HELP
from shared_sequencer.faults import parse_fault_flag
from shared_sequencer.ordering import parse_order
from xrollup import __version__
from xrollup.config import DevnetConfig
from xrollup.gctune import GcTuner

_N = TypeVar("_N", int, float)

BANNER = r"""
                      _ _
 __  ___ __ ___  _ __| | |_   _ _ __
 \ \/ / '__/ _ \| '__| | | | | | '_ \
  >  <| | | (_) | |  | | | |_| | |_) |
 /_/\_\_|  \___/|_|  |_|_|\__,_| .__/
                               |_|     {version}
"""


def _chain_ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated chain ids, got {text!r}") from None
    if not ids:
        raise argparse.ArgumentTypeError("at least one chain id is needed")
    return ids


def _block_times(text: str) -> tuple[float | None, tuple[tuple[int, float], ...]]:
    """``2``, ``901=1,902=2`` or ``2,901=0.5``: a default interval and per-chain ones."""
    default: float | None = None
    per_chain: list[tuple[int, float]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" in part:
            chain, _, seconds = part.partition("=")
            try:
                cid = int(chain)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected CHAIN=SECONDS, got {part!r}") from None
            if cid in dict(per_chain):
                raise argparse.ArgumentTypeError(f"chain {cid} is given twice")
            per_chain.append((cid, _positive_float(seconds)))
        elif default is not None:
            raise argparse.ArgumentTypeError(f"more than one default interval in {text!r}")
        else:
            default = _positive_float(part)
    if default is None and not per_chain:
        raise argparse.ArgumentTypeError("expected SECONDS or CHAIN=SECONDS,...")
    return default, tuple(per_chain)


def _number(convert: Callable[[str], _N], what: str, above_zero: bool = False) -> Callable[[str], _N]:
    """An argparse type: ``convert(text)``, finite, and 0 or more (more than 0 with ``above_zero``)."""
    def parse(text: str) -> _N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (value > 0 if above_zero else value >= 0) or value == float("inf"):
            raise argparse.ArgumentTypeError("must be more than 0" if above_zero else "must be 0 or more")
        return value
    return parse


_positive_float = _number(float, "seconds", above_zero=True)
_seconds = _number(int, "whole seconds")
_non_negative_float = _seconds_or_zero = _number(float, "seconds")
_count_or_zero = _number(lambda text: int(text, 0), "a whole number")


def _switch(text: str) -> bool:
    """A boolean flag's value as supersim's flags take it (``--interop.autorelay=false``)."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _dependency_set(text: str) -> tuple[int, ...]:
    """supersim's format: '[901,902]' or '[]'."""
    if not re.fullmatch(r"\s*\[\s*(\d+(\s*,\s*\d+)*)?\s*\]\s*", text):
        raise argparse.ArgumentTypeError(f"invalid dependency set format: expected '[1,2,3]' or '[]', got {text!r}")
    return tuple(int(n) for n in re.findall(r"\d+", text))


def add_supersim_flags(ap: argparse.ArgumentParser) -> None:
    """supersim's flag names, where xrollup has the same thing."""
    ap.add_argument("--l2.starting.port", type=int, dest="port", default=argparse.SUPPRESS,
                    help="supersim's name for --port: the first chain's port (0: free ports)")
    ap.add_argument("--admin.port", type=int, dest="admin_port", default=8420,
                    help="port of supersim's admin API, admin_* methods (default: 8420; 0: a free port)")
    ap.add_argument("--interop.autorelay", type=_switch, nargs="?", const=True, default=True, dest="autorelay",
                    metavar="BOOL", help="the sequencer relays OP messages itself (default: true; "
                    "--interop.autorelay=false leaves them to a user's relayMessage)")
    ap.add_argument("--interop.delay", type=_seconds, default=0, dest="relay_delay", metavar="SECONDS",
                    help="seconds between a message's block and its automatic relay (default: 0)")
    ap.add_argument("--dependency.set", type=_dependency_set, dest="dependency_set", default=None, metavar="'[901,902]'",
                    help="chains that accept each other's messages; the others accept none (default: all chains)")
    ap.add_argument("--logs.directory", dest="logs_directory", default=None, metavar="DIR",
                    help="write each chain's call log to DIR/anvil-<chain id>.log")


def add_l1_flags(ap: argparse.ArgumentParser) -> None:
    """The settlement layer's L1 (supersim's defaults: chain 900 on port 8545)."""
    ap.add_argument("--no-l1", action="store_false", dest="l1",
                    help="run the rollups alone, without an L1 (safe and finalized are then the latest block)")
    ap.add_argument("--l1.port", type=int, dest="l1_port", default=None, metavar="PORT",
                    help="the L1's port (default: 8545; a free port when --port is 0; 0: a free port)")
    ap.add_argument("--l1.chain-id", type=int, dest="l1_chain_id", default=900, metavar="ID",
                    help="the L1's chain id (default: 900)")
    ap.add_argument("--l1.block-time", type=_positive_float, dest="l1_block_time", default=2.0, metavar="SECONDS",
                    help="seconds between L1 blocks; a transaction sent to the L1 is also mined at once (default: 2)")
    ap.add_argument("--l1.finality-depth", type=_count_or_zero, dest="l1_finality_depth", default=4,
                    metavar="BLOCKS", help="an L1 block this many blocks under the L1's head is final (default: 4)")
    ap.add_argument("--withdrawal-delay", type=_count_or_zero, dest="withdrawal_delay", default=12, metavar="SECONDS",
                    help="seconds from a withdrawal's proof on the L1 to its finalization, the L2OutputOracle's "
                         "FINALIZATION_PERIOD_SECONDS (default: 12; evm_increaseTime on the L1 fast-forwards it)")
    ap.add_argument("--sequencing-window", type=_count_or_zero, dest="sequencing_window", default=4, metavar="BLOCKS",
                    help="every deposit is included within this many L1 blocks: past it, derivation includes it "
                         "even if the sequencer is down or censors it (default: 4)")


def _order(text: str) -> str:
    try:
        parse_order(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _fault(text: str) -> str:
    try:
        parse_fault_flag(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="xrollup", description="A local devnet of EVM rollups that share one sequencer.")
    ap.add_argument("--version", action="version", version=f"xrollup {__version__}")
    sub = ap.add_subparsers(dest="command")
    rp = sub.add_parser("replay", help="rebuild every chain from a superblock log and check every block")
    rp.add_argument("state_dir", nargs="?", default=None, help="the --state-dir of a devnet")
    rp.add_argument("--from-l1", dest="from_l1", default=None, metavar="URL_OR_DIR",
                    help="read nothing but the L1 (its JSON-RPC URL, or a devnet's --state-dir holding its "
                         "saved L1): rebuild every rollup from the batches posted to it")
    from xrollup import trace_cli  # tracing: `xrollup trace TXHASH`

    trace_cli.add_arguments(sub.add_parser("trace", help="print a transaction's call tree, across chains"))
    ap.add_argument("--chains", type=_chain_ids, default=(901, 902), help="chain ids, comma-separated (default: 901,902)")
    ap.add_argument("--port", "-p", type=int, default=9545, help="port of the first chain; the next chains take the following ports (default: 9545)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    ap.add_argument("--block-time", "-b", type=_block_times, default=(None, ()),
                    help="seconds between superblocks, per chain too: 2, 901=1,902=2 or 2,901=0.5 (default: automine)")
    ap.add_argument("--no-mining", action="store_true", help="mine only on evm_mine / anvil_mine")
    ap.add_argument("--order", type=_order, default="fees",
                    help="transaction ordering: fifo, fees, random, express-lane or encrypted, devnet-wide or per chain "
                         "(901=fees,902=random) (default: fees)")
    ap.add_argument("--order-seed", type=int, default=0, help="seed of the random ordering's shuffle (default: 0)")
    ap.add_argument("--express-lane.round", type=_positive_float, default=60.0, dest="express_lane_round",
                    help="seconds per express-lane round (default: 60)")
    ap.add_argument("--express-lane.delay", type=_non_negative_float, default=0.2, dest="express_lane_delay",
                    help="seconds non-controller transactions wait under express-lane (default: 0.2)")
    ap.add_argument("--fault", type=_fault, action="append", default=[], dest="faults", metavar="FAULT",
                    help=FAULT_FLAG_HELP)
    ap.add_argument("--accounts", "-a", type=int, default=10, help="dev accounts to fund (default: 10)")
    ap.add_argument("--balance", type=int, default=10_000, help="ETH per dev account (default: 10000)")
    ap.add_argument("--mnemonic", "-m", default=DevnetConfig.mnemonic, help="BIP-39 mnemonic of the dev accounts")
    ap.add_argument("--gas-limit", type=int, default=30_000_000, help="block gas limit (default: 30000000)")
    ap.add_argument("--base-fee", "--block-base-fee-per-gas", type=int, default=1_000_000_000, dest="base_fee",
                    help="genesis base fee in wei (default: 1000000000)")
    ap.add_argument("--hardfork", choices=FORKS, default=DEFAULT_FORK,
                    help=f"the EVM rules every chain runs (default: {DEFAULT_FORK}, as forge and anvil)")
    ap.add_argument("--state-dir", default=None, help="keep the superblock log here; a restart replays it")
    ap.add_argument("--dump-state", metavar="FILE", help="write the whole devnet's state to FILE on exit")
    ap.add_argument("--load-state", metavar="FILE", help="start from a state FILE written by --dump-state / anvil_dumpState")
    ap.add_argument("--state", metavar="FILE", help="--load-state FILE if it exists, and --dump-state FILE on exit")
    ap.add_argument("--log-format", choices=("human", "json"), default="human", help="log line format (default: human)")
    ap.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default=None,
                    help="log level (default: info; warning with --silent)")
    ap.add_argument("--silent", action="store_true", help="print nothing but errors")
    add_supersim_flags(ap)
    add_l1_flags(ap)
    ap.add_argument("--gas-cap", type=_count_or_zero, default=DevnetConfig.gas_cap,
                    help="most gas an eth_call, eth_estimateGas, trace or simulation may use; more is lowered to it "
                         "(geth's RPCGasCap; 0: no cap; default: 50000000)")
    ap.add_argument("--evm-timeout", type=_seconds_or_zero, default=DevnetConfig.evm_timeout,
                    help="seconds a read's execution may run before it is aborted (geth's RPCEVMTimeout; "
                         "0: no limit; default: 5)")
    ap.add_argument("--filter-timeout", type=_seconds_or_zero, default=DevnetConfig.filter_timeout,
                    help="seconds a polling filter lives without being polled (0: forever; default: 300, as geth)")
    ap.add_argument("--max-filters", type=_count_or_zero, default=DevnetConfig.max_filters,
                    help="polling filters each chain keeps at once (default: 10000)")
    ap.add_argument("--mining-budget", type=_seconds_or_zero, default=DevnetConfig.mining_budget, metavar="SECONDS",
                    help="seconds one transaction of an automine superblock may execute while other transactions "
                         "wait; past it that transaction is deferred to a later superblock (0: no budget; "
                         "default: 0.01)")
    ap.add_argument("--max-deferrals", type=_count_or_zero, default=DevnetConfig.max_deferrals,
                    help="times a transaction past --mining-budget is deferred at most; then it runs to its end "
                         "(default: 128)")
    return ap


def config_from_args(args: argparse.Namespace) -> DevnetConfig:
    return DevnetConfig(
        chain_ids=args.chains, host=args.host, port=args.port, accounts=args.accounts, balance_eth=args.balance,
        mnemonic=args.mnemonic, gas_limit=args.gas_limit, base_fee=args.base_fee, block_time=args.block_time[0],
        block_times=args.block_time[1],
        no_mining=args.no_mining, order=args.order, silent=args.silent, state_dir=args.state_dir,
        gas_cap=args.gas_cap, evm_timeout=args.evm_timeout, filter_timeout=args.filter_timeout,
        max_filters=args.max_filters, mining_budget=args.mining_budget, max_deferrals=args.max_deferrals,
        hardfork=args.hardfork,
        admin_port=args.admin_port, autorelay=args.autorelay, relay_delay=args.relay_delay,
        logs_directory=args.logs_directory, dependency_set=args.dependency_set,
        order_seed=args.order_seed, express_lane_round=args.express_lane_round,
        express_lane_delay=args.express_lane_delay,
        l1=args.l1, l1_port=args.l1_port, l1_chain_id=args.l1_chain_id, l1_block_time=args.l1_block_time,
        l1_finality_depth=args.l1_finality_depth, withdrawal_delay=args.withdrawal_delay,
        sequencing_window=args.sequencing_window,
        faults=tuple(args.faults),
    )


def banner(devnet: object) -> str:
    from xrollup.devnet import Devnet

    assert isinstance(devnet, Devnet)
    cfg = devnet.config
    lines = [BANNER.format(version=__version__), "Chains", "=================="]
    for cid, url in devnet.urls.items():
        lines.append(f"chain {cid}: {url}  (ws: {url.replace('http://', 'ws://')})")
    if devnet.l1 is not None:
        lines += ["", "L1 (settlement)", "=================="]
        lines.append(f"chain {devnet.l1.chain_id}: {devnet.l1.url}  (ws: {(devnet.l1.url or '').replace('http://', 'ws://')})"
                     f"  block time {cfg.l1_block_time}s, final {cfg.l1_finality_depth} blocks deep,"
                     f" withdrawal delay {cfg.withdrawal_delay}s")
        from backend.admin import chain_name
        from settlement.contracts import addresses_json, banner_lines

        addresses = addresses_json(cfg.chain_ids)
        lines += [f"{name:<28} {addresses[name]}" for name in ("BatchInbox", "Batcher", "Proposer")]
        lines += banner_lines({cid: chain_name(i, cid) for i, cid in enumerate(cfg.chain_ids)}, devnet.urls)
    lines += ["", "Available Accounts", "=================="]
    lines += [f"({i}) {a.checksum_address} ({cfg.balance_eth} ETH)" for i, a in enumerate(devnet.accounts)]
    lines += ["", "Private Keys", "=================="]
    lines += [f"({i}) 0x{a.private_key.hex()}" for i, a in enumerate(devnet.accounts)]
    lines += ["", "Wallet", "==================", f"Mnemonic:          {cfg.mnemonic}",
              "Derivation path:   m/44'/60'/0'/0/", "", f"Base Fee:          {cfg.base_fee}",
              f"Gas Limit:         {cfg.gas_limit}", f"Mining:            {devnet.sequencer.mode.name}"
              + (f" every {cfg.block_time}s" if cfg.block_time else "")
              + "".join(f", chain {cid} every {s}s" for cid, s in cfg.block_times),
              f"Ordering:          {cfg.order}"]
    if devnet.predeploys:
        lines += ["", "Predeploys", "=================="]
        lines += [f"{p.name:<28} 0x{p.address.hex()}" for p in devnet.predeploys if p.name]
    if devnet.admin_url:
        lines += ["", f"Admin API:         {devnet.admin_url}"]
    lines += [f"Auto-relay:        {'on' if cfg.autorelay else 'off'}"
              + (f", after {cfg.relay_delay}s" if cfg.relay_delay else "")]
    if cfg.faults:
        lines += [f"Faults:            {', '.join(cfg.faults)}"]
    if cfg.state_dir:
        lines += ["", f"State dir:         {cfg.state_dir} (superblock {devnet.sequencer.head.number})"]
    from xrollup import explorer

    if explorer.installed(devnet):
        lines += ["", f"Explorer:          {explorer.url(devnet)}"]
    lines += ["", f"Listening on {', '.join(devnet.urls.values())}", ""]
    return "\n".join(lines)


def _progress(label: str) -> Callable[[int], None]:
    def show(n: int) -> None:
        if n % 200 == 0:
            print(f"\r{label}: {n} superblocks", end="", file=sys.stderr, flush=True)

    return show


async def run(config: DevnetConfig, load: Path | None = None, dump: Path | None = None) -> None:
    from xrollup import explorer
    from xrollup.devnet import Devnet

    devnet = Devnet(config)
    if config.logs_directory:
        chain_logs(Path(config.logs_directory), config.chain_ids, config.silent)
    explorer.install(devnet)  # the superblock explorer, at <first chain's URL>/explorer
    # The modules and genesis state made so far, and the chains' history from now on, live as
    # long as the process: keep the garbage collector from walking them on every full
    # collection (xrollup/gctune.py). Not in Devnet itself: a test process keeps its own.
    tuner = GcTuner(asyncio.get_running_loop().call_soon_threadsafe)
    tuner.install()
    try:
        if load is not None:
            height = devnet.load_state(load.read_bytes(), _progress(f"loading {load}"))
            logging.getLogger("xrollup").info("loaded %s: superblock %d", load, height)
        await devnet.start()
        if not config.silent:
            print(banner(devnet), flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        serving = asyncio.create_task(devnet.serve_forever())
        await asyncio.wait([serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        await devnet.stop()
        if dump is not None:
            dump.write_bytes(devnet.dump_state())
            logging.getLogger("xrollup").info("state written to %s", dump)
    finally:
        tuner.uninstall()
    if not config.silent:
        print("\nShut down cleanly.", flush=True)


def replay_command(state_dir: str) -> int:
    from chains.errors import XRollupError
    from shared_sequencer.log import LOG_FILE, scan_log
    from xrollup.devnet import Devnet

    directory = Path(state_dir)
    try:
        scan = scan_log(directory)
    except XRollupError as exc:
        print(f"replay FAILED: {exc}", file=sys.stderr)
        return 1
    if scan.cut is not None:  # what a restart would cut; replay checks the records before it
        print(f"warning: {scan.cut.describe(directory / LOG_FILE)}", file=sys.stderr)
    entries = scan.entries
    if not entries:
        print(f"no superblock log in {directory}", file=sys.stderr)
        return 2
    total = sum(1 for e in entries if e.get("t") == "superblock")
    started = time.perf_counter()
    try:
        # A fresh devnet with no state dir replays the entries into new chains, checking each block.
        from shared_sequencer.replay import replay

        devnet = Devnet(DevnetConfig(silent=True).with_genesis(entries[0]["config"]))

        def progress(n: int) -> None:
            if n % 500 == 0 or n == total:
                print(f"\rreplayed {n}/{total} superblocks", end="", file=sys.stderr, flush=True)

        count = replay(devnet.sequencer, entries[1:], progress)
    except XRollupError as exc:
        print(f"\nreplay FAILED: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(f"\nreplay OK: {count} superblocks, every block hash and state root matches "
          f"({count / elapsed if elapsed else 0:.0f} superblocks/s)")
    return 0


def replay_from_l1_command(where: str) -> int:
    """Derive the superblock log from the L1 alone and replay it into fresh chains."""
    from settlement.deposits import check_deposits
    from settlement.derive import SourceError, derive, l1_deposits, source_of
    from shared_sequencer.replay import replay
    from xrollup.devnet import Devnet

    started = time.perf_counter()
    try:
        source = source_of(where)
        derived = derive(source)
    except (SourceError, XRollupError) as exc:
        print(f"replay --from-l1 FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"read {derived.l1_blocks} L1 blocks of {source.describe()}: {derived.frames} batch frames from the "
          f"batcher in {derived.channels} channels; ignored {derived.ignored_strangers} inbox writes by others "
          f"and {derived.ignored_bad} frames that do not decode")
    entries = derived.entries
    if not entries:
        print("no batches on this L1", file=sys.stderr)
        return 2
    try:
        devnet = Devnet(DevnetConfig(silent=True).with_genesis(entries[0]["config"]))
        count = replay(devnet.sequencer, entries[1:])
    except (XRollupError, ValueError, KeyError, TypeError) as exc:
        print(f"replay --from-l1 FAILED: {exc}", file=sys.stderr)
        return 1
    try:
        deposits = check_deposits(devnet.sequencer.chains, l1_deposits(source, devnet.config.chain_ids))
    except SourceError as exc:
        print(f"replay --from-l1 FAILED: {exc}", file=sys.stderr)
        return 1
    if deposits.problems:
        for problem in deposits.problems:
            print(f"replay --from-l1 FAILED: {problem}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(f"replay --from-l1 OK: {count} superblocks rebuilt from the L1 alone, every block hash and state root "
          f"matches ({elapsed:.1f} s)")
    print(f"deposits: {deposits.on_l1} on the L1 (the portals' TransactionDeposited logs), {deposits.included} "
          "included on their rollups in the L1's order, none without a log behind it")
    for cid, chain in devnet.sequencer.chains.items():
        head = chain.head
        print(f"  chain {cid}: block {head.number} hash 0x{head.hash.hex()} state root "
              f"0x{bytes(head.header.state_root).hex()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(args.log_level or ("warning" if args.silent else "info"), args.log_format)
    if args.command == "replay":
        if args.from_l1 is not None:
            return replay_from_l1_command(args.from_l1)
        if args.state_dir is None:
            print("error: replay needs a state dir, or --from-l1 URL_OR_DIR", file=sys.stderr)
            return 2
        return replay_command(args.state_dir)
    if args.command == "trace":  # tracing
        from xrollup import trace_cli

        return trace_cli.run(args.tx_hash, args.chain, args.rpc)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    load = args.load_state or (args.state if args.state and Path(args.state).exists() else None)
    dump = args.dump_state or args.state
    try:
        from rpc.server import new_event_loop

        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(run(config, Path(load) if load else None, Path(dump) if dump else None))
    except (OSError, XRollupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def chain_logs(directory: Path, chain_ids: tuple[int, ...], silent: bool) -> None:
    """--logs.directory: each chain's calls also go to DIR/anvil-<chain id>.log (supersim's
    file names); with --silent, only there."""
    directory.mkdir(parents=True, exist_ok=True)
    for cid in chain_ids:
        handler = logging.FileHandler(directory / f"anvil-{cid}.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        chain_log = logging.getLogger(f"xrollup.chain.{cid}")
        chain_log.setLevel(logging.INFO)
        chain_log.addHandler(handler)
        chain_log.propagate = not silent


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("eth").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
