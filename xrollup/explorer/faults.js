// The sequencer's fault modes on the board, from xr_faults: a banner while a fault is active, a
// mark on each superblock built while one was (its kinds), a mark on each reorg's fork point,
// and the list of transactions a fault holds back now.
//
// Stable hooks for tests: #fault-banner[data-kinds] (hidden when no fault is active),
// .fault-mark[data-kinds] in a superblock's header, .reorg-mark[data-fork][data-depth],
// #held .held-tx[data-tx][data-reason], .forced-mark[data-deposits] on a superblock whose deposits
// derivation forced in at their sequencing window's end.

import { $, el } from "./dom.js";
import { short } from "./format.js";
import { rpc } from "./rpc.js";
import { state } from "./state.js";

const POLL_MS = 2000;
let faults = { active: [], periods: [], reorgs: [], held: [], forced: [] };
let timer = null;

function describe(f) {
  if (f.kind === "halt") return `chain ${f.chainId} halted`;
  if (f.kind === "censor") return `censoring ${[...f.senders.map(short), ...f.contracts.map((c) => "to " + short(c)), ...f.chains.map((c) => "chain " + c)].join(", ")}`;
  if (f.kind === "delay") {
    const who = [...f.chains.map((c) => "chain " + c), ...f.senders.map(short), ...(f.messages ? ["messages"] : [])].join(", ");
    const late = [f.superblocks ? `${f.superblocks} superblocks` : "", f.seconds ? `${f.seconds} s` : ""].filter(Boolean).join(" + ");
    return `delaying ${who} by ${late}`;
  }
  return "sequencer down";
}

const during = (n, p) => n > p.since && (p.until == null || n <= p.until);

export function renderFaults() {
  const banner = $("#fault-banner");
  const kinds = [...new Set(faults.active.map((f) => f.kind))];
  banner.hidden = kinds.length === 0;
  banner.dataset.kinds = kinds.join(" ");
  banner.textContent = faults.active.map((f) => `${describe(f)} (since superblock ${f.since})`).join(" · ");
  for (const col of state.columns.values()) {
    const hdr = col.el.querySelector(".hdr");
    hdr.querySelectorAll(".fault-mark, .reorg-mark, .forced-mark").forEach((m) => m.remove());
    const forced = (faults.forced || []).filter((f) => f.superblock === col.number);
    if (forced.length) {
      hdr.append(el("div", { class: "forced-mark", dataset: { deposits: forced.map((f) => f.hash).join(" ") },
        title: `forced inclusion: deposits the sequencer left out past their window, included by derivation\n${forced.map((f) => `chain ${f.chainId} block ${f.block}: ${f.hash}`).join("\n")}`,
        text: `↓ forced ×${forced.length}` }));
    }
    const periods = faults.periods.filter((p) => during(col.number, p));
    if (periods.length) {
      const k = [...new Set(periods.map((p) => p.kind))];
      hdr.append(el("div", { class: "fault-mark", dataset: { kinds: k.join(" ") }, title: periods.map(describe).join("\n"), text: `⚠ ${k.join(", ")}` }));
    }
    for (const r of faults.reorgs.filter((x) => x.fork === col.number)) {
      hdr.append(el("div", { class: "reorg-mark", dataset: { fork: String(r.fork), depth: String(r.depth) },
        title: `reorg: the ${r.depth} superblock(s) after this one were dropped and sequenced again\n${r.dropped.join("\n")}`,
        text: `↺ reorg −${r.depth}` }));
    }
  }
  const held = $("#held");
  held.replaceChildren(...faults.held.map((h) => el("div", { class: "held-tx", dataset: { tx: h.hash || h.bundleHash, reason: h.reason, chain: String(h.chainId ?? "") } },
    `${h.reason}: ${h.hash ? (h.deposit ? "deposit " : "tx ") + short(h.hash) + " on " + h.chainId : "bundle " + short(h.bundleHash)}`)));
  held.hidden = faults.held.length === 0;
}

export async function refreshFaults() {
  try {
    faults = await rpc(null, "xr_faults");
  } catch {
    return; // a devnet without fault modes, or offline: nothing to show
  }
  renderFaults();
}

// Refresh now (a superblock arrived) and every POLL_MS (a fault may hold everything back).
export function watchFaults() {
  refreshFaults();
  if (timer == null) timer = setInterval(refreshFaults, POLL_MS);
}
