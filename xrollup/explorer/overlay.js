// The SVG overlay over the board: bundle outlines across the lanes they span, cross-rollup
// calls as arrows from the source transaction to the destination transaction, and MEV findings
// as dotted links through their transactions (front-run, victims, back-run; arbitrage legs).

import { $, el, requestPanel, svg } from "./dom.js";
import { short } from "./format.js";
import { state } from "./state.js";

let drawPending = false;
export function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

export function draw() {
  const board = $("#board");
  const overlay = $("#overlay");
  const origin = board.getBoundingClientRect();
  overlay.setAttribute("width", board.scrollWidth);
  overlay.setAttribute("height", board.scrollHeight);
  overlay.replaceChildren();
  const defs = svg("defs");
  for (const [id, color] of [["head-ok", "#f5b942"], ["head-bad", "#ff4d5e"]]) {
    const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: color }));
    defs.append(marker);
  }
  overlay.append(defs);
  const box = (node) => {
    const r = node.getBoundingClientRect();
    return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
  };
  // bundles: an outline around every leg, across the lanes they span
  for (const b of state.bundles.values()) {
    const nodes = b.legs.map((l) => state.txs.get(l.txHash)).filter((e) => e && e.el.isConnected).map((e) => box(e.el));
    if (!nodes.length) continue;
    const pad = 5;
    const x1 = Math.min(...nodes.map((n) => n.x)) - pad;
    const y1 = Math.min(...nodes.map((n) => n.y)) - pad;
    const x2 = Math.max(...nodes.map((n) => n.x + n.w)) + pad;
    const y2 = Math.max(...nodes.map((n) => n.y + n.h)) + pad + 14; // room for the label
    const rect = svg("rect", { class: "bundle", x: x1, y: y1, width: x2 - x1, height: y2 - y1, rx: 8, "data-bundle": b.hash, "data-legs": String(b.legs.length), "data-chains": [...new Set(b.legs.map((l) => l.chainId))].join(",") });
    const label = svg("text", { class: "bundle-label", x: x1 + 6, y: y2 - 5 });
    label.textContent = `bundle ${short(b.hash, 4)} · ${b.legs.length} legs`;
    overlay.append(rect, label);
    const needed = label.getComputedTextLength() + 12;
    if (needed > x2 - x1) rect.setAttribute("width", String(needed));
  }
  // MEV findings: a link through the finding's transactions, in order, across the lanes
  for (const f of state.mev.values()) {
    const nodes = f.txs.map((t) => state.txs.get(t.hash)).filter((e) => e && e.el.isConnected).map((e) => box(e.el));
    if (nodes.length < 2) continue;
    // a bracket in the cells' left margin, with a tick into each transaction
    const spine = (n) => `${n.x - 7} ${n.y + n.h / 2}`;
    const edge = (n) => `${n.x} ${n.y + n.h / 2}`;
    const d = nodes.map((n, i) => (i === 0 ? `M ${edge(n)} L ${spine(n)}`
      : `L ${spine(n)} L ${edge(n)}${i < nodes.length - 1 ? ` L ${spine(n)}` : ""}`));
    const path = svg("path", {
      class: `mev ${f.kind}${f.crossRollup ? " cross" : ""}`,
      d: d.join(" "),
      "data-finding": f.id,
      "data-kind": f.kind,
      "data-chains": [...new Set(f.txs.map((t) => t.chainId))].join(","),
      "data-txs": f.txs.map((t) => t.hash).join(","),
    });
    const title = svg("title");
    title.textContent = `${f.kind}${f.crossRollup ? " (cross-rollup)" : ""} by ${f.extractor}\n`
      + f.value.map((v) => `taken: ${v.amount} of ${v.token}`).join("\n");
    path.append(title);
    overlay.append(path);
  }
  // cross-rollup calls: from the source transaction to the destination transaction
  const fan = new Map();
  for (const a of state.arrows) {
    const src = state.txs.get(a.from);
    const dst = state.txs.get(a.to);
    if (!src || !dst || !src.el.isConnected || !dst.el.isConnected) continue;
    dst.el.classList.add("xcall-dest");
    if (!dst.el.querySelector(".badge.in")) dst.el.querySelector(".line1").append(el("span", { class: "badge in", text: `⇠ ${a.fromChain}` }));
    const s = box(src.el);
    const d = box(dst.el);
    const k = fan.get(a.superblock) || 0;
    fan.set(a.superblock, k + 1);
    const x1 = s.x + s.w;
    const y1 = s.y + s.h / 2;
    const x2 = d.x + d.w + 2;
    const y2 = d.y + d.h / 2;
    const bulge = Math.max(x1, x2) + 26 + 7 * (k % 3);
    const path = svg("path", {
      class: `arrow${a.success ? "" : " failed"}`,
      d: `M ${x1} ${y1} C ${bulge} ${y1}, ${bulge} ${y2}, ${x2} ${y2}`,
      "marker-end": `url(#${a.success ? "head-ok" : "head-bad"})`,
      "data-from-tx": a.from,
      "data-to-tx": a.to,
      "data-from-chain": String(a.fromChain),
      "data-to-chain": String(a.toChain),
      "data-success": String(a.success),
    });
    const title = svg("title");
    title.textContent = `cross-rollup call ${a.fromChain} → ${a.toChain}${a.success ? "" : " (failed)"}\n${a.from}\n→ ${a.to}`;
    path.append(title);
    path.addEventListener("click", () => requestPanel(a.from));
    overlay.append(path);
  }
}
