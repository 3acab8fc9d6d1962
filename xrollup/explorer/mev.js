// MEV marks: what xr_getMevReport finds in a superblock, marked on the board across the lanes.
// Each transaction of a finding gets a role and a badge; the overlay links a finding's
// transactions (front-run, victims, back-run; an arbitrage's legs on every chain it spans).
//
//   sandwich   the extractor's two swaps are "front" and "back", the swaps between are "victim"
//   backrun    the extractor's swap is "backrun", the swap it follows is "victim"
//   arbitrage  the extractor's swaps are "arbitrage" (cross-rollup when they span chains)
//
// Hooks for tests: .tx[data-mev-role] (space-separated roles), [data-mev-kind],
// [data-mev-finding] (finding ids), path.mev[data-finding][data-kind][data-chains].

import { el } from "./dom.js";
import { hexToInt, short } from "./format.js";
import { rpc } from "./rpc.js";
import { state } from "./state.js";

const BADGE = { front: "front-run", back: "back-run", victim: "victim", backrun: "back-run", arbitrage: "arbitrage" };

// The findings of one xr_getMevReport answer, each with an id and its transactions in the order
// the overlay links them, and the marks per transaction hash. Pure: no DOM, no requests.
export function mevMarks(report) {
  const findings = [];
  const marks = new Map();
  for (const [index, f] of (report.findings || []).entries()) {
    const superblock = hexToInt(f.superblock);
    const id = `${superblock}:${index}`;
    const tx = (t, role) => ({ hash: t.hash, chainId: hexToInt(t.chainId), role });
    let txs;
    if (f.kind === "sandwich") {
      const [front, back] = f.transactions;
      txs = [tx(front, "front"), ...f.victims.map((v) => tx(v, "victim")), tx(back, "back")];
    } else if (f.kind === "backrun") {
      txs = [...f.victims.map((v) => tx(v, "victim")), ...f.transactions.map((t) => tx(t, "backrun"))];
    } else {
      txs = f.transactions.map((t) => tx(t, "arbitrage"));
    }
    const finding = {
      id, kind: f.kind, superblock, extractor: f.extractor, crossRollup: Boolean(f.crossRollup),
      chains: (f.chains || []).map(hexToInt), value: f.value || [], txs,
    };
    findings.push(finding);
    for (const t of txs) {
      if (!marks.has(t.hash)) marks.set(t.hash, []);
      marks.get(t.hash).push({ finding: id, kind: f.kind, role: t.role, extractor: f.extractor, crossRollup: finding.crossRollup });
    }
  }
  return { findings, marks };
}

function valueText(finding) {
  return finding.value.map((v) => `${v.amount} of ${short(v.token, 4)}`).join(", ");
}

// Read the findings of a loaded column's superblock and mark its transactions.
export async function loadMev(col) {
  let report;
  try {
    report = await rpc(null, "xr_getMevReport", ["0x" + col.number.toString(16)]);
  } catch (err) {
    console.warn("MEV report", col.number, err);
    return;
  }
  if (col.removed) return;
  const { findings, marks } = mevMarks(report);
  col.mev = findings.map((f) => f.id);
  for (const f of findings) state.mev.set(f.id, f);
  for (const [hash, list] of marks) {
    const entry = state.txs.get(hash);
    if (!entry) continue;
    const node = entry.el;
    node.classList.add("mev");
    node.dataset.mevRole = [...new Set(list.map((m) => m.role))].join(" ");
    node.dataset.mevKind = [...new Set(list.map((m) => m.kind))].join(" ");
    node.dataset.mevFinding = list.map((m) => m.finding).join(" ");
    for (const m of list) {
      const f = state.mev.get(m.finding);
      const who = m.role === "victim" ? `by ${short(m.extractor, 4)}` : `extractor ${short(m.extractor, 4)}`;
      const title = `${m.kind}${m.crossRollup ? " (cross-rollup)" : ""}: ${BADGE[m.role]} ${who}`
        + (f && f.value.length ? `\ntaken: ${valueText(f)}` : "");
      node.append(el("div", { class: `mev-badge ${m.role}`, title, dataset: { finding: m.finding, role: m.role } },
        `${m.kind === "arbitrage" && m.crossRollup ? "cross-rollup " : ""}${BADGE[m.role]}`));
    }
  }
}
