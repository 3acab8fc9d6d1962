"""The cross-rollup executor: synchronous calls between chains, all or nothing.

A transaction on chain A that calls ``Mailbox.xcall(B, target, data)`` reverts with
``MissingResponse(...)`` until the sequencer has pre-filled the response. ``apply_with_xcalls``
probes the transaction; when a response is missing it plans system transactions (execute the
request on B, pre-fill the response on A), simulates them on forks of the block builders,
repeats for nested requests up to ``MAX_DEPTH``, and adopts the forks only when the plan
converged and the transaction succeeded. If the transaction reverts in the end, none of its
requests happened: it is applied alone and no system transaction for it goes anywhere.

System transactions per chain come first, in this order: pre-filled responses, then executed
requests (in the order their source chains consume them), then the user's transaction.

A request's id includes the source mailbox's nonce, which is only known once the whole path
has run: a call back into a chain (A -> B -> A -> B) runs before that chain's transaction and
takes the next nonce first, so a request planned earlier reappears under another id. Each
simulation round therefore forgets the planned requests that no run's ``xcall`` met any more
(found missing, consumed, or failed with its planned failure; the job's own from its last
run), lets a reappearing call take its old place with its old response as a first guess,
runs executes not yet consumed deepest first, and guesses that a failure bubbles up to callers
still without a response. Guesses are only guesses: the plan is adopted once a round changes
nothing. A path of depth d settles in about 2d rounds (A -> B -> A ... of depth 8: 16 rounds,
about 90 simulated transactions).

The caller pays for the far side (``chains/mailbox.py`` says how): each execute runs on at most
the transaction's gas limit, the pre-fill of the transaction's own request carries the gas of
its execute and of every execute nested in it, and a request whose caller cannot cover that
is answered with the mailbox's ``COST_NOT_COVERED`` failure instead of being executed.

A transaction that calls ``Mailbox.xcall`` itself is not probed: its request is read from its
calldata and the mailbox's nonce (``direct_request``), and the plan starts from it. The result
is kept only where the probe would provably have led to the same plan; otherwise the forks are
dropped and the transaction is probed as any other (tests/xrollup_calls/test_xcall_direct.py
checks that both ways give the same blocks).

This module is the planner only; the protocol it speaks (addresses, selectors, storage
slots, request ids, rolling hashes, system-transaction calldata) is ``chains/mailbox.py``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from eth.abc import ComputationAPI
from eth.exceptions import Revert

from chains.block import PendingTx, TxOutcome, base_fee_of, effective_gas_price
from chains.builder import BlockBuilder
from chains.errors import XCallFailure, XRollupError, decode_revert_reason
from chains.mailbox import (
    COST_NOT_COVERED,
    MAILBOX,
    SEQUENCER,
    XCALL,
    XCALL_EVENT,
    Request,
    clear_response_call,
    decode_execute_result,
    decode_missing_response,
    decode_xcall,
    decode_xcall_args,
    error_string,
    execute_call,
    far_side_cost,
    hash_mismatch,
    mailbox_code_hash,
    out_nonce,
    put_response_call,
    response_flags,
    xcall_log_request_id,
)
from chains.mailbox import system_tx as signed_system_tx
from shared_sequencer.builders import halted_of
from shared_sequencer.faults import halted_error

MAX_DEPTH = 8  # nested requests: A -> B -> C ... at most this deep
MAX_ROUNDS = 64  # simulation rounds for one user transaction
# And wall-clock time: a call graph that does not converge must not stall the devnet. The
# limit has to sit well above the deepest paths the depth limit allows, or whether they settle
# depends on the machine's load: depth-8 paths over 2-4 chains settle in 1.0-2.2 s on a 2-core
# machine at load average 9 (about 4x less when idle), so 2 s refused some of them. What used
# to run the limit out (re-entrant paths) now settles, and a path beyond the depth limit fails
# with the limit in 0.5-1 s: only a graph that never converges waits this long.
SETTLE_SECONDS = 4.0
EXECUTE_GAS = 8_000_000
PREFILL_GAS = 500_000




class XCallError(XRollupError):
    """A cross-rollup call could not be planned (depth limit, unknown chain...)."""


def find_missing(computation: ComputationAPI, chain_id: int) -> Request | None:
    """The first request, in execution order, whose response the mailbox did not have: a
    frame of the mailbox itself that reverted with MissingResponse (a caller may have
    caught it, so the whole call tree is searched)."""
    if computation.msg.storage_address == MAILBOX and computation.is_error:
        request = decode_missing_response(chain_id, bytes(computation.output))
        if request is not None:
            return request
    for child in computation.children:
        nested = find_missing(child, chain_id)
        if nested is not None:
            return nested
    return None


def system_tx(builder: BlockBuilder, chain_id: int, data: bytes, gas: int) -> PendingTx:
    """The sequencer's next system transaction to the mailbox in ``builder``'s block."""
    return signed_system_tx(chain_id, builder.nonce_of(SEQUENCER), MAILBOX, data, min(gas, builder.gas_left),
                            int(base_fee_of(builder.header)))


@dataclass
class Plan:
    """The system transactions one user transaction needs, per chain."""

    requests: dict[bytes, Request] = field(default_factory=dict)  # every request, by id
    executes: dict[int, list[Request]] = field(default_factory=dict)  # per destination chain
    responses: dict[bytes, tuple[bool, bytes]] = field(default_factory=dict)
    depth: dict[bytes, int] = field(default_factory=dict)
    parent: dict[bytes, bytes] = field(default_factory=dict)  # the request whose execute made it
    costs: dict[bytes, tuple[int, int]] = field(default_factory=dict)  # execute's gas used, destination base fee

    def prefills(self, chain_id: int) -> list[tuple[Request, bool, bytes]]:
        return [(r, *self.responses[r.id]) for r in self.requests.values()
                if r.src == chain_id and r.id in self.responses]

    def forget(self, rid: bytes) -> None:
        req = self.requests.pop(rid)
        self.responses.pop(rid, None)
        self.parent.pop(rid, None)
        self.costs.pop(rid, None)
        if req in self.executes.get(req.dst, []):
            self.executes[req.dst].remove(req)
            if not self.executes[req.dst]:
                del self.executes[req.dst]

    def renumber(self, old: bytes, req: Request) -> None:
        """Put ``req`` in the place of the planned request ``old``, the same call with another
        nonce: same position, same execute slot, and the old response as a first guess (the
        execute of ``req`` then gives the real one)."""
        prev = self.requests[old]
        self.requests = {(req.id if rid == old else rid): (req if rid == old else r) for rid, r in self.requests.items()}
        if old in self.responses:
            self.responses[req.id] = self.responses.pop(old)
        if old in self.costs:
            self.costs[req.id] = self.costs.pop(old)
        executes = self.executes[prev.dst]
        executes[executes.index(prev)] = req
        self.depth.setdefault(req.id, self.depth.get(old, 1))
        self.parent = {child: (req.id if parent == old else parent) for child, parent in self.parent.items()}
        if old in self.parent:
            self.parent.setdefault(req.id, self.parent.pop(old))

    def tree_costs(self, rid: bytes) -> tuple[tuple[int, int], ...]:
        """What the transaction's own request ``rid`` costs on the far side: the executes of it
        and of every request nested in it (gas used, destination base fee each), all charged to
        the transaction's xcall. A nested request's own xcall (in an execute, the sequencer's)
        is charged nothing, so that an execute's gas does not depend on its children's costs."""
        if rid in self.parent:
            return ()
        tree, frontier = [], {rid}
        while frontier:
            tree += [self.costs[r] for r in sorted(frontier) if r in self.costs]
            frontier = {child for child, parent in self.parent.items() if parent in frontier and child in self.requests}
        return tuple(tree)

    def refuse(self, rid: bytes, reason: bytes) -> None:
        """Answer a planned request with a failure of the sequencer's own (``reason``, no
        cost) instead of executing it: its caller could not pay for the far side."""
        req = self.requests[rid]
        if req in self.executes.get(req.dst, []):
            self.executes[req.dst].remove(req)
            if not self.executes[req.dst]:
                del self.executes[req.dst]
        self.responses[rid] = (False, reason)
        self.costs.pop(rid, None)

    def bubble_failures(self) -> None:
        """Guess that a failure bubbles up: a request without a response yet whose execute made
        a request that failed gets the same failure (what ``hop``-like callers revert with).
        The next round's executes give the real responses; a caller that catches it corrects
        the guess. Without this, a failure deep in a path takes a round per level to come back."""
        for rid, response in list(self.responses.items()):
            parent = self.parent.get(rid)
            while not response[0] and parent in self.requests and parent not in self.responses:
                self.responses[parent] = response
                parent = self.parent.get(parent)

    def chains(self, job_chain: int) -> set[int]:
        return {job_chain} | set(self.executes) | {r.src for r in self.requests.values()}


@dataclass
class XResult:
    outcome: TxOutcome
    plan: Plan
    failure: XCallFailure | None = None  # why a cross-rollup transaction reverted (far side's reason)
    simulated: TxOutcome | None = None  # the converged simulation of a transaction that reverted

    @property
    def failed_chain(self) -> int | None:
        """The chain where the transaction's cross-rollup calls failed, if they did."""
        return self.failure.chain_id if self.failure is not None else None


def apply_with_xcalls(builders: dict[int, BlockBuilder], chain_id: int, job: PendingTx) -> XResult:
    """Apply ``job`` to ``builders[chain_id]``, resolving cross-rollup calls. May replace
    entries of ``builders`` with forks. Raises TransactionRejected (nothing applied)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    direct = direct_request(builders, chain_id, job)
    if direct is not None:
        # A transaction that calls the mailbox's xcall itself: its request is known without
        # probing it (the probe would stop at MissingResponse for exactly this request). Plan
        # from it, and keep the result when the converged run shows that the transaction got
        # past the inbox lookup: it consumed the response, or it reverted with the response's
        # own failure data. Otherwise (out of gas before that point, no settlement...) the
        # forks are thrown away and the transaction is probed as any other.
        plan = Plan()
        plan.depth[direct.id] = 1
        _plan_request(plan, direct, builders)
        try:
            forks, job_outcome, consumed = _converge(builders, chain_id, job, plan, deadline)
        except XCallError:
            pass
        else:
            if direct.id in consumed if job_outcome.success else _met_failure(job_outcome, plan, direct):
                return _settle(builders, chain_id, job, plan, forks, job_outcome, consumed)
    first: list[Request | None] = []

    def accept(comp: ComputationAPI) -> bool:
        first.append(find_missing(comp, chain_id))
        return first[-1] is None

    outcome = builders[chain_id].probe(job, accept)
    if outcome is not None:
        return XResult(outcome, Plan())
    plan = Plan()
    assert first and first[-1] is not None
    plan.depth[first[-1].id] = 1
    _plan_request(plan, first[-1], builders)
    try:
        forks, job_outcome, consumed = _converge(builders, chain_id, job, plan, deadline)
    except XCallError as exc:
        alone = builders[chain_id].apply(job)
        return XResult(alone, Plan(), XCallFailure(chain_id, str(exc), revert_data=alone.output))
    return _settle(builders, chain_id, job, plan, forks, job_outcome, consumed)


def _settle(builders: dict[int, BlockBuilder], chain_id: int, job: PendingTx, plan: Plan,
            forks: dict[int, BlockBuilder], job_outcome: TxOutcome, consumed: set[bytes]) -> XResult:
    """Adopt the converged forks if the transaction succeeded (and the hashes agree);
    otherwise apply the transaction alone."""
    if job_outcome.success and _hashes_agree(forks):
        _clear_unconsumed(forks, plan, consumed)
        builders.update(forks)
        return XResult(job_outcome, plan)
    if job_outcome.success:  # never seen; refuse to commit rather than break the invariant
        alone = builders[chain_id].apply(job)
        return XResult(alone, Plan(), XCallFailure(chain_id, "mailbox outbox/inbox hashes disagree",
                                                   revert_data=alone.output))
    # The transaction reverts in the end: none of its requests happened anywhere.
    failure = _failure(plan, job_outcome, chain_id)
    alone = builders[chain_id].apply(job)
    return XResult(alone, Plan(), failure, job_outcome)


def _met_failure(outcome: TxOutcome, plan: Plan, req: Request) -> bool:
    """Whether a transaction calling the mailbox's xcall directly reverted with ``req``'s
    pre-filled failure response (REVERT with exactly its data): the one revert of xcall that
    comes after the inbox lookup (the others there, for a response just pre-filled, cannot
    happen)."""
    success, data = plan.responses.get(req.id, (True, b""))
    return not success and isinstance(outcome.computation.error, Revert) and outcome.output == data


def direct_request(builders: Mapping[int, BlockBuilder], chain_id: int, job: PendingTx) -> Request | None:
    """The request a transaction to ``Mailbox.xcall(dst, target, data)`` makes, read from its
    calldata and the mailbox's state (the nonce), when probing it would certainly stop at
    MissingResponse for that request: canonical calldata, a known destination, no response
    in the inbox yet. None otherwise (then the transaction is probed)."""
    tx = job.tx
    if tx.to != MAILBOX or job.sender == SEQUENCER:
        return None
    call = decode_xcall(bytes(tx.data))  # canonical calldata only
    if call is None:
        return None
    dst, target, data = call
    if dst in (0, chain_id) or dst not in builders:
        return None
    state = builders[chain_id].vm.state
    if bytes(state.get_code_hash(MAILBOX)) != mailbox_code_hash():
        return None  # not the mailbox this reasoning is about (replaced with anvil_setCode...)
    req = Request(chain_id, dst, out_nonce(state, dst), bytes(job.sender), target, int(tx.value), data)
    if any(response_flags(state, req.id)):
        return None  # a response is there already: the probe would not miss it
    return req


@dataclass
class _ChainRun:
    """One simulation round's run of one chain's steps on a fork (reused while the steps stay
    the same: a chain's run depends on its own steps only)."""

    steps: tuple[object, ...]
    fork: BlockBuilder
    missing: list[tuple[Request, int, bytes | None]]  # found requests with their depth and parent
    responses: dict[bytes, tuple[bool, bytes]]  # of the executes run here
    costs: dict[bytes, tuple[int, int]]  # and what they cost: gas used, this chain's base fee
    consumed: list[bytes]  # request ids consumed here (XCall logs), in order
    met: set[bytes] = field(default_factory=set)  # planned or missing requests that the executes' xcalls met
    uncovered: set[bytes] = field(default_factory=set)  # planned requests whose caller could not pay the cost
    job_met: set[bytes] = field(default_factory=set)  # and the job's, when it ran
    job: TxOutcome | None = None


def _converge(builders: Mapping[int, BlockBuilder], chain_id: int, job: PendingTx,
              plan: Plan, deadline: float) -> tuple[dict[int, BlockBuilder], TxOutcome, set[bytes]]:
    """Simulate until every request has its response and the plan matches what the chains
    consume. Returns the forks, the job's outcome and the ids of the requests whose responses
    were consumed. Raises XCallError past MAX_ROUNDS or the deadline (time.monotonic())."""
    runs: dict[int, _ChainRun] = {}
    job_met = set(plan.requests)  # what the job's xcalls met when it last ran (at first: the probe's)
    for _ in range(MAX_ROUNDS):
        if time.monotonic() > deadline:
            break
        # The job runs only once every planned execute has its response (else it just misses again).
        waiting = any(r.id not in plan.responses for rs in plan.executes.values() for r in rs)
        consumed_order = {cid: run.consumed for cid, run in runs.items()}
        for cid in sorted(plan.chains(chain_id)):
            steps = _steps(plan, cid, consumed_order, with_job=cid == chain_id and not waiting)
            if cid not in runs or runs[cid].steps != steps:
                runs[cid] = _run_chain(builders[cid], cid, steps, plan, job)
        for cid in [c for c in runs if c not in plan.chains(chain_id)]:
            del runs[cid]
        changed = False
        for rid in set().union(*(run.uncovered for run in runs.values())):
            if rid in plan.requests and plan.responses.get(rid) != (False, COST_NOT_COVERED):
                plan.refuse(rid, COST_NOT_COVERED)
                changed = True
        # A request that no run's xcall meets any more is forgotten before new ones are planned:
        # an earlier round's nonce or path that the current runs do not take. (A call back into
        # the job's chain runs before the job and takes the mailbox's next nonce, so the job's
        # own request changes id; the old one, kept, would go on executing and making requests
        # of its own with shifted nonces, and the plan would grow every round.) While the job
        # waits it does not run: what it met when it last ran stays.
        if not waiting:
            job_met = runs[chain_id].job_met
        live = job_met.union(*(run.met for run in runs.values()))
        unmet = {rid: req for rid, req in plan.requests.items() if rid not in live}
        for run in runs.values():
            for req, depth, parent in run.missing:
                if req.id in plan.requests:
                    continue
                if parent is not None:
                    plan.parent[req.id] = parent
                changed = True
                # The same call as a stale request, under another nonce: it takes its place.
                old = next((rid for rid, r in unmet.items()
                            if r.content == req.content and r in plan.executes.get(r.dst, [])), None)
                if old is not None:
                    del unmet[old]
                    plan.renumber(old, req)
                else:
                    plan.depth.setdefault(req.id, depth)
                    _plan_request(plan, req, builders)
        for rid in unmet:
            plan.forget(rid)
            changed = True
        for run in runs.values():
            for rid, response in run.responses.items():  # of requests still executed
                executed = plan.requests.get(rid)
                if executed is None or executed not in plan.executes.get(executed.dst, []):
                    continue
                if plan.responses.get(rid) != response or plan.costs.get(rid) != run.costs[rid]:
                    plan.responses[rid], plan.costs[rid] = response, run.costs[rid]
                    changed = True
        plan.bubble_failures()
        if changed or waiting:
            continue
        job_run = runs[chain_id].job
        assert job_run is not None
        if not job_run.success:
            return {cid: run.fork for cid, run in runs.items()}, job_run, set()
        # Settled on a success: drop requests whose success nobody consumed (an earlier round's
        # path that the final one did not take), and order the executes as they are consumed.
        consumed = {rid for run in runs.values() for rid in run.consumed}
        stale = [rid for rid, (ok, _) in plan.responses.items() if ok and rid not in consumed]
        if stale:
            for rid in stale:
                plan.forget(rid)
            continue
        new_order = {cid: run.consumed for cid, run in runs.items()}
        if all(runs[cid].steps == _steps(plan, cid, new_order, with_job=cid == chain_id) for cid in runs):
            return {cid: run.fork for cid, run in runs.items()}, job_run, consumed
    raise XCallError(f"cross-rollup calls did not settle within {MAX_ROUNDS} rounds or {SETTLE_SECONDS} s")


def _steps(plan: Plan, cid: int, consumed_order: Mapping[int, list[bytes]], with_job: bool) -> tuple[object, ...]:
    """Chain ``cid``'s system transactions: pre-filled responses, then the executes of
    requests to it, in the order their sources consume them (what the rolling hashes need),
    then the job."""
    prefills = tuple(("prefill", r.id, *plan.responses[r.id], plan.tree_costs(r.id))
                     for r in plan.requests.values() if r.src == cid and r.id in plan.responses)

    def order(req: Request) -> tuple[int, int, int, int]:
        # Not consumed yet: after those that are, deeper first (a deeper request comes from an
        # execute, which runs before the transaction or the execute its parent came from).
        consumed = consumed_order.get(req.src, [])
        position = consumed.index(req.id) if req.id in consumed else len(consumed)
        return req.src, position, -plan.depth.get(req.id, 1), list(plan.requests).index(req.id)

    executes = tuple(("execute", r.id) for r in sorted(plan.executes.get(cid, []), key=order))
    return prefills + executes + ((("job",),) if with_job else ())


def _run_chain(builder: BlockBuilder, cid: int, steps: tuple[object, ...], plan: Plan, job: PendingTx) -> _ChainRun:
    # Nothing to run (the job's chain while its requests are still executing elsewhere): the
    # builder itself stands for the run, untouched; no fork, no persist.
    fork = builder.fork() if steps else builder
    run = _ChainRun(steps, fork, [], {}, {}, [])
    execute_gas = min(EXECUTE_GAS, job.tx.gas)  # the far side runs on no more gas than the caller has
    for step in steps:
        kind = step[0]  # type: ignore[index]
        if kind == "prefill":
            _, rid, success, data, costs = cast(tuple[str, bytes, bool, bytes, tuple[tuple[int, int], ...]], step)
            req = plan.requests[rid]
            # The caller's own price per gas on this chain: what the burned gas costs it in wei
            # (only the transaction's own requests carry a cost, so this is the caller's chain).
            price = effective_gas_price(job.tx, int(base_fee_of(fork.header)))
            cost = sum(far_side_cost(gas_used, dst_base_fee, price) for gas_used, dst_base_fee in costs)
            fork.apply(system_tx(fork, cid, put_response_call(req, success, data, cost), PREFILL_GAS + 16 * len(data)))
        elif kind == "execute":
            req = plan.requests[step[1]]  # type: ignore[index]
            outcome = fork.apply(system_tx(fork, cid, execute_call(req), execute_gas))
            run.met |= _met(outcome.computation, cid, plan, run.uncovered)
            nested = find_missing(outcome.computation, cid)
            if nested is not None:
                run.missing.append((nested, plan.depth.get(req.id, 1) + 1, req.id))
            else:
                run.responses[req.id] = _execute_result(outcome)
                run.costs[req.id] = (outcome.gas_used, int(base_fee_of(fork.header)))
            run.consumed.extend(_consumed(outcome))
        else:
            run.job = fork.apply(job)
            run.job_met = _met(run.job.computation, cid, plan, run.uncovered)
            missing = find_missing(run.job.computation, cid)
            if missing is not None:
                run.missing.append((missing, 1, None))
            run.consumed.extend(_consumed(run.job))
    return run


def _met(computation: ComputationAPI, cid: int, plan: Plan, uncovered: set[bytes]) -> set[bytes]:
    """The requests that the mailbox's ``xcall`` frames in ``computation``'s call tree (on chain
    ``cid``) met, whether or not a caller reverted afterwards: a missing response (the request
    is in the revert), a consumed one (in the frame's XCall log), or a planned failure that the
    frame reverted with (matched on everything but the nonce, which a reverted frame does not
    show: every planned request with that content and failure counts). A frame that reverted
    because its caller could not pay the far side's cost meets the planned requests with its
    content too, and adds them to ``uncovered``."""
    met: set[bytes] = set()
    msg = computation.msg
    if msg.storage_address == MAILBOX and msg.code_address == MAILBOX and bytes(msg.data[:4]) == XCALL:
        output = bytes(computation.output)
        if not computation.is_error:
            met.update(_log_request_ids(computation.get_log_entries()))
        elif (missing := decode_missing_response(cid, output)) is not None:
            met.add(missing.id)
        elif (call := decode_xcall_args(bytes(msg.data))) is not None:
            dst, target, data = call
            content = (cid, dst, bytes(msg.sender), target, msg.value, data)
            same = [r.id for r in plan.requests.values() if r.content == content]
            if output == COST_NOT_COVERED:
                uncovered.update(same)
                met.update(same)
            else:
                met.update(rid for rid in same if plan.responses.get(rid) == (False, output))
    for child in computation.children:
        met |= _met(child, cid, plan, uncovered)
    return met


def _log_request_ids(entries: tuple[tuple[bytes, tuple[int, ...], bytes], ...]) -> list[bytes]:
    """Request ids in the mailbox's XCall log entries (address, topics, data)."""
    return [xcall_log_request_id(bytes(data)) for address, topics, data in entries
            if bytes(address) == MAILBOX and topics and topics[0].to_bytes(32, "big") == XCALL_EVENT]


def _consumed(outcome: TxOutcome) -> list[bytes]:
    """Request ids whose responses ``outcome`` consumed, from the mailbox's XCall logs."""
    out = []
    for log in outcome.receipt.logs:
        if bytes(log.address) == MAILBOX and log.topics and log.topics[0].to_bytes(32, "big") == XCALL_EVENT:
            out.append(xcall_log_request_id(bytes(log.data)))
    return out


def _plan_request(plan: Plan, req: Request, builders: Mapping[int, BlockBuilder]) -> None:
    if req.id in plan.requests:
        return
    plan.requests[req.id] = req
    # A request that cannot run is answered at once with a failure, which xcall reverts with.
    if req.dst not in builders:
        plan.responses[req.id] = (False, error_string(f"xrollup: unknown destination chain {req.dst}"))
    elif req.dst in halted_of(builders):  # a fault: the chain makes no block, so nothing runs there
        plan.responses[req.id] = (False, halted_error(req.dst))
    elif plan.depth.get(req.id, 1) > MAX_DEPTH:
        plan.responses[req.id] = (False, error_string(f"xrollup: cross-rollup call depth limit {MAX_DEPTH} exceeded"))
    else:
        plan.executes.setdefault(req.dst, []).append(req)


def _clear_unconsumed(forks: Mapping[int, BlockBuilder], plan: Plan, consumed: set[bytes]) -> None:
    """Drop pre-filled responses the settled transaction did not consume (a failure caught
    with try/catch, a branch not taken): the xcall that met them was rolled back, nonce
    included, so an identical later call would otherwise meet a stale response. A response
    in ``consumed`` (an XCall log of a successful frame) is marked consumed: no need to look."""
    for cid, fork in forks.items():
        for req, _success, _data in plan.prefills(cid):
            if req.id in consumed:
                continue
            filled, _success, used = response_flags(fork.vm.state, req.id)
            if filled and not used:
                fork.apply(system_tx(fork, cid, clear_response_call(req.id), PREFILL_GAS))


def _execute_result(outcome: TxOutcome) -> tuple[bool, bytes]:
    if not outcome.success:  # the execute system transaction itself failed (out of gas...)
        return False, error_string("xrollup: the destination call could not run")
    return decode_execute_result(outcome.output)


def _failure(plan: Plan, outcome: TxOutcome, chain_id: int) -> XCallFailure | None:
    """Why the settled transaction reverted: the innermost request that failed with its revert
    data is where it failed (a revert on C bubbles back through B with the same data);
    otherwise its own chain, if the data has a reason. None: no reason to give."""
    for req in reversed(list(plan.requests.values())):
        success, data = plan.responses.get(req.id, (True, b""))
        if not success and data == outcome.output:
            reason = decode_revert_reason(data) or ("0x" + data.hex() if data else "empty revert data")
            # A caller that could not pay for the far side failed on its own chain.
            return XCallFailure(req.src if data == COST_NOT_COVERED else req.dst, reason, req.id, data,
                                halted=data == halted_error(req.dst))
    own = decode_revert_reason(outcome.output)
    return XCallFailure(chain_id, own, None, outcome.output) if own is not None else None


def simulate(builders: dict[int, BlockBuilder], chain_id: int, job: PendingTx) -> XResult:
    """Run ``job`` with its cross-rollup calls on throwaway builders (eth_call, estimates).
    The result's ``outcome`` is the converged one: a far-side revert's data bubbles up."""
    result = apply_with_xcalls(builders, chain_id, job)
    if result.simulated is not None:
        result.outcome = result.simulated
    return result


def _hashes_agree(builders: Mapping[int, BlockBuilder]) -> bool:
    return hash_mismatch({cid: b.vm.state for cid, b in builders.items()}) is None
