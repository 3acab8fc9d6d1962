// The details view: a transaction's summary, failure reason, cross-rollup hops, call trace,
// decoded logs and receipt, in the side panel.

import { decodeCall, decodeLog, decodeRevert } from "./abi.js";
import { $, el } from "./dom.js";
import { fmtValue, hexToInt, short } from "./format.js";
import { contractName, revertReason, traceOf } from "./lookups.js";
import { scheduleDraw } from "./overlay.js";
import { rpc } from "./rpc.js";
import { state } from "./state.js";

function argsNode(args) {
  return el("div", { class: "args" }, args.map(([k, v, t]) => el("div", {}, el("span", { class: "k", text: `${k || "_"}: ` }), el("span", { class: "mono", text: fmtValue(v, t) }))));
}

function row(k, v) {
  return el("tr", {}, el("td", { text: k }), el("td", {}, v));
}

function txLink(hash, chainId) {
  return el("a", { class: "mono", text: `${short(hash, 10)}`, title: hash, onclick: () => openPanel(hash, chainId) });
}

function addressNode(chainId, address) {
  const span = el("span", { class: "mono", text: address || "—" });
  if (address) contractName(chainId, address).then((name) => { if (name) span.textContent = `${address} (${name})`; });
  return span;
}

export async function openPanel(hash, chainHint) {
  const panel = $("#panel");
  const body = $("#panel-body");
  state.selected = hash;
  document.querySelectorAll(".tx.selected").forEach((n) => n.classList.remove("selected"));
  const known = state.txs.get(hash);
  if (known) {
    known.el.classList.add("selected");
    requestAnimationFrame(() => known.el.scrollIntoView({ block: "nearest", inline: "nearest" }));
  }
  scheduleDraw();
  const chainId = known ? known.chainId : chainHint;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  panel.dataset.tx = hash;
  panel.dataset.chain = String(chainId);
  panel.dataset.loaded = "false";
  $("#panel-title").textContent = `Transaction ${short(hash, 10)} · chain ${chainId}`;
  body.replaceChildren(el("p", { class: "dim", text: "loading…" }));
  let tx;
  let receipt;
  try {
    [tx, receipt] = await Promise.all([rpc(chainId, "eth_getTransactionByHash", [hash]), rpc(chainId, "eth_getTransactionReceipt", [hash])]);
  } catch (err) {
    body.replaceChildren(el("div", { class: "error-box", text: `could not load: ${err.message}` }));
    return;
  }
  if (state.selected !== hash) return;
  if (!tx || !receipt) {
    body.replaceChildren(el("div", { class: "error-box", text: "transaction not found (reverted away?)" }));
    return;
  }
  const ok = hexToInt(receipt.status) === 1;
  const nodes = [];
  // summary
  const call = tx.to ? decodeCall(tx.input) : null;
  const statusCell = el("span", { class: ok ? "status-ok" : "status-bad", text: ok ? "success" : "failed" });
  const summary = el("table", {},
    row("hash", el("span", { class: "mono", text: hash })),
    row("status", statusCell),
    row("chain", String(chainId)),
    row("superblock", known ? String(known.superblock) : String(hexToInt(receipt.blockNumber))),
    row("block", `${hexToInt(receipt.blockNumber)} (index ${hexToInt(receipt.transactionIndex)})`),
    row("from", addressNode(chainId, tx.from)),
    row(tx.to ? "to" : "created", addressNode(chainId, tx.to || receipt.contractAddress)),
    row("value", `${BigInt(tx.value || "0x0").toString()} wei`),
    row("gas used", `${hexToInt(receipt.gasUsed)} of ${hexToInt(tx.gas)}`),
    row("function", call ? el("div", {}, el("span", { class: "mono", text: `${call.contract}.${call.signature}` }), argsNode(call.args)) : el("span", { class: "mono", text: tx.to ? tx.input.slice(0, 10) || "—" : "contract creation" })));
  nodes.push(summary);
  if (!ok) {
    const xerr = receipt.xrollupError;
    let text;
    if (xerr) text = `reverted on chain ${hexToInt(xerr.chainId) || chainId}: ${xerr.reason || "(no reason)"}`;
    else text = (await revertReason({ tx, chainId })) || "reverted";
    nodes.push(el("div", { class: "error-box", dataset: { reason: xerr ? xerr.reason || "" : text }, text }));
  }
  // cross-chain
  const xcalls = receipt.xcalls || [];
  const incoming = state.incoming.get(hash) || [];
  if (xcalls.length || incoming.length || receipt.xrollupError) {
    nodes.push(el("h3", { text: "Cross-rollup calls" }));
    for (const inc of incoming) nodes.push(el("div", { class: "hop" }, `← called from chain ${inc.fromChain}, transaction `, txLink(inc.from, inc.fromChain)));
    for (const x of xcalls) {
      const dst = hexToInt(x.destinationChainId);
      nodes.push(el("div", { class: "hop" },
        el("span", { class: x.success ? "status-ok" : "status-bad", text: x.success ? "✓ " : "✗ " }),
        `→ chain ${dst}, target `, addressNode(dst, x.target), ` (request ${short(x.requestId, 6)}, nonce ${hexToInt(x.nonce)}${hexToInt(x.value) ? `, value ${BigInt(x.value)} wei` : ""}) `,
        x.destinationTxHash ? el("span", {}, "executed in ", txLink(x.destinationTxHash, dst)) : el("span", { class: "dim", text: "no destination transaction" })));
    }
    if (receipt.xrollupError) nodes.push(el("div", { class: "hop status-bad", text: `the cross-rollup work failed on chain ${hexToInt(receipt.xrollupError.chainId) || "?"}: ${receipt.xrollupError.reason || "(no reason)"}` }));
  }
  // trace
  nodes.push(el("h3", { text: "Cross-chain trace" }));
  const traceBox = el("div", { class: "trace", dataset: { trace: "loading" } }, el("span", { class: "dim", text: "tracing…" }));
  nodes.push(traceBox);
  // logs
  nodes.push(el("h3", { text: `Logs (${receipt.logs.length})` }));
  if (!receipt.logs.length) nodes.push(el("div", { class: "dim", text: ok ? "no logs" : "no logs (reverted)" }));
  for (const log of receipt.logs) {
    const dec = decodeLog(log);
    const head = el("div", {}, el("span", { class: "dim", text: `#${hexToInt(log.logIndex)} ` }),
      el("span", { class: "ev", text: dec ? `${dec.name}` : "unknown event" }), " ", addressNode(chainId, log.address));
    const logNode = el("div", { class: "log", dataset: { event: dec ? dec.name : "" } }, head);
    if (dec) logNode.append(argsNode(dec.args));
    else logNode.append(el("div", { class: "raw", text: `topics ${log.topics.join(", ")}\ndata ${log.data}` }));
    nodes.push(logNode);
  }
  // receipt
  nodes.push(el("h3", { text: "Receipt" }));
  nodes.push(el("pre", { class: "receipt", text: JSON.stringify(receipt, null, 2) }));
  body.replaceChildren(...nodes);
  panel.dataset.loaded = "true";
  panel.dataset.status = ok ? "success" : "failed";
  fillTrace(traceBox, hash, chainId, receipt).catch((err) => traceBox.replaceChildren(el("div", { class: "error-box", text: err.message })));
}

function callTree(chainId, frame, depth = 0) {
  const call = frame.input && frame.to ? decodeCall(frame.input) : null;
  const to = frame.to ? frame.to.toLowerCase() : null;
  const li = el("li", {},
    el("span", { class: "call-type", text: `${frame.type || "CALL"} ` }),
    addressNode(chainId, to),
    call ? el("span", { class: "mono", text: `.${call.name}(${call.args.map(([, v, t]) => fmtValue(v, t)).join(", ")})` }) : frame.input && frame.input.length >= 10 ? el("span", { class: "mono dim", text: ` ${frame.input.slice(0, 10)}` }) : null,
    frame.value && BigInt(frame.value) ? el("span", { class: "dim", text: ` value ${BigInt(frame.value)}` }) : null,
    frame.error ? el("span", { class: "call-err", text: ` ✗ ${frame.error}${frame.revertReason ? `: ${frame.revertReason}` : frame.output ? ` ${decodeRevert(frame.output) || ""}` : ""}` }) : null);
  if (frame.calls && frame.calls.length && depth < 64) li.append(el("ul", {}, frame.calls.map((c) => callTree(chainId, c, depth + 1))));
  return li;
}

async function fillTrace(box, hash, chainId, receipt) {
  const hops = [{ chainId, hash, label: `chain ${chainId}`, depth: 0 }];
  for (const x of receipt.xcalls || []) {
    if (x.destinationTxHash) hops.push({ chainId: hexToInt(x.destinationChainId), hash: x.destinationTxHash, label: `→ chain ${hexToInt(x.destinationChainId)} (xcall ${short(x.requestId, 4)}, ${x.success ? "success" : "failed"})`, depth: 1 });
  }
  for (const inc of state.incoming.get(hash) || []) hops.unshift({ chainId: inc.fromChain, hash: inc.from, label: `← from chain ${inc.fromChain}`, depth: -1 });
  const out = [];
  let unavailable = false;
  for (const hop of hops) {
    const res = await traceOf(hop.chainId, hop.hash);
    const head = el("div", { class: "chain-hop" }, `${hop.label}: `, txLink(hop.hash, hop.chainId));
    out.push(head);
    if (res.trace) out.push(el("ul", {}, callTree(hop.chainId, res.trace)));
    else if (res.unavailable) unavailable = true;
    else out.push(el("div", { class: "error-box", text: res.error }));
  }
  if (unavailable) out.push(el("div", { class: "dim", text: "call traces: debug_traceTransaction is not available on this devnet (-32601); showing the cross-rollup hops only" }));
  box.dataset.trace = unavailable ? "unavailable" : "ok";
  box.replaceChildren(...out);
}

export function closePanel() {
  $("#panel").hidden = true;
  document.body.classList.remove("panel-open");
  scheduleDraw();
  state.selected = null;
  document.querySelectorAll(".tx.selected").forEach((n) => n.classList.remove("selected"));
}
