// The board (lanes view): one lane per chain, one column per superblock, each block's transactions
// with their status and reason; columns arrive in order, the oldest leave. A superblock lists only
// the chains that advanced in it: an idle chain's cell stays empty (class "idle"), and its lane
// label keeps showing its head (the superblock's "heads"). Once a column's transactions are in,
// its superblock's MEV findings mark them (mev.js).

import { decodeCall } from "./abi.js";
import { $, el, requestPanel } from "./dom.js";
import { hexToInt, short } from "./format.js";
import { revertReason } from "./lookups.js";
import { loadMev } from "./mev.js";
import { scheduleDraw } from "./overlay.js";
import { rpc } from "./rpc.js";
import { MAX_COLUMNS, state } from "./state.js";

export function setupLanes() {
  const labels = $("#labels");
  $("#grid").style.setProperty("--lanes", String(state.chains.length));
  for (const c of state.chains) {
    labels.append(
      el("div", { class: "lane-label", dataset: { chain: String(c.id), lane: String(c.id) } },
        el("div", { class: "name", text: `chain ${c.id}` }),
        el("div", { class: "url", text: c.url }),
        el("div", { class: "height", text: "" })),
    );
  }
}

function laneHeight(chainId, number) {
  const h = document.querySelector(`.lane-label[data-chain="${chainId}"] .height`);
  if (h) h.textContent = `block ${number}`;
}

function atRightEdge() {
  const s = $("#scroller");
  return s.scrollLeft + s.clientWidth >= s.scrollWidth - 40;
}

// Follow the newest superblock while the view is at the right end (scrolling left stops it).
let stickRight = true;
let scrollPending = false;
function followNewest() {
  if (!$("#follow").checked || !stickRight || scrollPending) return;
  scrollPending = true;
  requestAnimationFrame(() => {
    scrollPending = false;
    const s = $("#scroller");
    s.scrollLeft = s.scrollWidth;
  });
}

function removeColumn(col) {
  col.removed = true;
  col.el.remove();
  state.columns.delete(col.number);
  for (const hash of col.txs) {
    state.txs.delete(hash);
    state.incoming.delete(hash);
  }
  state.arrows = state.arrows.filter((a) => a.superblock !== col.number);
  for (const b of col.bundles) state.bundles.delete(b);
  for (const f of col.mev || []) state.mev.delete(f);
}

// Place a superblock on the board (synchronously, so that columns keep their order), then
// load its blocks' transactions and receipts.
export function addSuperblock(sb) {
  const number = hexToInt(sb.number);
  const existing = state.columns.get(number);
  if (existing && existing.hash === sb.hash) return;
  if (existing) {
    // A different superblock under a number already shown: the devnet went back (evm_revert,
    // anvil_reset...). Everything from that number on is gone.
    for (const col of [...state.columns.values()]) if (col.number >= number) removeColumn(col);
    state.lastNumber = number - 1;
  }
  const total = sb.blocks.reduce((s, b) => s + hexToInt(b.transactionCount), 0);
  const bundles = sb.bundles || [];
  const col = { number, hash: sb.hash, sb, txs: [], bundles: [...bundles], cells: new Map(), removed: false };
  const time = new Date(hexToInt(sb.timestamp) * 1000).toLocaleTimeString();
  col.el = el("div", { class: `col sb${total ? "" : " empty"} fresh`, dataset: { superblock: String(number), hash: sb.hash, txCount: String(total) } },
    el("div", { class: "hdr", title: `superblock ${number}\n${sb.hash}\n${time}` },
      el("div", { class: "num", text: `#${number}` }),
      el("div", { class: "sub", text: `${short(sb.hash)} · ${time}` }),
      bundles.length ? el("div", { class: "bundles", text: `${bundles.length} bundle${bundles.length > 1 ? "s" : ""}` }) : null));
  const byChain = new Map(sb.blocks.map((b) => [hexToInt(b.chainId), b]));
  for (const c of state.chains) {
    const block = byChain.get(c.id);
    const cell = el("div", { class: `cell${block ? "" : " idle"}`, dataset: { chain: String(c.id), superblock: String(number), block: block ? String(hexToInt(block.number)) : "" } });
    if (block && total) cell.append(el("div", { class: "blk", text: `block ${hexToInt(block.number)}` }));
    col.cells.set(c.id, cell);
    col.el.append(cell);
  }
  for (const h of sb.heads || sb.blocks) laneHeight(hexToInt(h.chainId), hexToInt(h.number));
  // insert in order
  let before = null;
  for (const other of state.columns.values()) if (other.number > number && (!before || other.number < before.number)) before = other;
  $("#grid").insertBefore(col.el, before ? before.el : null);
  state.columns.set(number, col);
  state.lastNumber = Math.max(state.lastNumber, number);
  $("#head").textContent = `superblock ${state.lastNumber}`;
  $("#head").dataset.head = String(state.lastNumber);
  // trim the oldest
  const numbers = [...state.columns.keys()].sort((a, b) => a - b);
  while (numbers.length > MAX_COLUMNS) removeColumn(state.columns.get(numbers.shift()));
  setTimeout(() => col.el.classList.remove("fresh"), 1500);
  followNewest();
  col.loading = fillColumn(col).catch((err) => console.error("superblock", number, err));
  scheduleDraw();
  return col;
}

async function fillColumn(col) {
  const jobs = [];
  for (const b of col.sb.blocks) {
    if (!hexToInt(b.transactionCount)) continue;
    jobs.push(fillBlock(col, hexToInt(b.chainId), b));
  }
  await Promise.all(jobs);
  if (col.bundles.length) await loadBundles(col);
  if (col.txs.length) await loadMev(col);
  col.el.dataset.loaded = "true";
  scheduleDraw();
}

async function fillBlock(col, chainId, ref) {
  const [block, receipts] = await Promise.all([
    rpc(chainId, "eth_getBlockByHash", [ref.hash, true]),
    rpc(chainId, "eth_getBlockReceipts", [ref.hash]),
  ]);
  if (col.removed || !block) return;
  const byHash = new Map((receipts || []).map((r) => [r.transactionHash, r]));
  const cell = col.cells.get(chainId);
  for (const tx of block.transactions) {
    const receipt = byHash.get(tx.hash) || null;
    cell.append(txNode(col, chainId, tx, receipt));
  }
}

function txLabel(entry) {
  const { tx, receipt } = entry;
  if (!tx.to) return { text: "deploy", title: `contract creation${receipt && receipt.contractAddress ? ` → ${receipt.contractAddress}` : ""}` };
  if (!tx.input || tx.input === "0x") return { text: "transfer", title: `ETH transfer to ${tx.to}` };
  const call = decodeCall(tx.input);
  if (call) return { text: call.name, title: `${call.contract}.${call.signature}` };
  return { text: tx.input.slice(0, 10), title: "unknown function" };
}

function txNode(col, chainId, tx, receipt) {
  const status = !receipt ? "pending" : hexToInt(receipt.status) === 1 ? "success" : "failed";
  const system = state.sequencer && tx.from && tx.from.toLowerCase() === state.sequencer;
  const entry = { hash: tx.hash, chainId, superblock: col.number, tx, receipt, status, system };
  const label = txLabel(entry);
  const xcalls = (receipt && receipt.xcalls) || [];
  const node = el("div", {
    class: `tx${status === "failed" ? " failed" : ""}${system ? " system" : ""}`,
    title: `${tx.hash}\n${label.title}\nfrom ${tx.from}${tx.to ? `\nto ${tx.to}` : ""}`,
    dataset: { tx: tx.hash, chain: String(chainId), status, superblock: String(col.number), system: system ? "true" : "false" },
    onclick: () => requestPanel(tx.hash),
  },
  el("div", { class: "line1" },
    el("span", { class: "status-icon", text: status === "failed" ? "✗" : status === "success" ? "✓" : "…" }),
    el("span", { class: "method", text: system ? `${label.text} (sequencer)` : label.text }),
    xcalls.length ? el("span", { class: "badge x", text: `⇢ ${[...new Set(xcalls.map((x) => hexToInt(x.destinationChainId)))].join(",")}` }) : null),
  el("div", { class: "tx-hash", text: short(tx.hash, 8) }));
  if (status === "failed") {
    const reason = el("div", { class: "reason", dataset: { reason: "" } });
    node.append(reason);
    const xerr = receipt.xrollupError;
    if (xerr) {
      const where = hexToInt(xerr.chainId);
      setReason(reason, `${xerr.reason || "reverted"}${where && where !== chainId ? ` (on chain ${where})` : ""}`, xerr.reason || "");
    } else {
      setReason(reason, "reverted", "");
      revertReason(entry).then((r) => { if (r) setReason(reason, r, r); });
    }
  }
  entry.el = node;
  state.txs.set(tx.hash, entry);
  col.txs.push(tx.hash);
  for (const x of xcalls) {
    if (!x.destinationTxHash) continue;
    const to = x.destinationTxHash;
    state.arrows.push({ from: tx.hash, to, fromChain: chainId, toChain: hexToInt(x.destinationChainId), success: x.success !== false, superblock: col.number });
    if (!state.incoming.has(to)) state.incoming.set(to, []);
    state.incoming.get(to).push({ from: tx.hash, fromChain: chainId });
  }
  if (state.selected === tx.hash) node.classList.add("selected");
  return node;
}

function setReason(node, text, raw) {
  node.textContent = text;
  node.dataset.reason = raw;
  node.title = text;
}

async function loadBundles(col) {
  for (const hash of col.bundles) {
    try {
      const status = await rpc(null, "xr_getBundleStatus", [hash]);
      const legs = (status.legs || []).map((l) => ({ chainId: hexToInt(l.chainId), txHash: l.txHash, index: l.index }));
      state.bundles.set(hash, { hash, superblock: col.number, legs, status: status.status });
      for (const leg of legs) {
        const entry = state.txs.get(leg.txHash);
        if (entry) entry.el.dataset.bundle = hash;
      }
    } catch (err) {
      console.warn("bundle", hash, err);
    }
  }
}

// The "follow newest" controls: scrolling left stops following, the checkbox resumes it.
export function followControls() {
  $("#scroller").addEventListener("scroll", () => { stickRight = atRightEdge(); }, { passive: true });
  $("#follow").addEventListener("change", () => {
    stickRight = true;
    followNewest();
  });
}
