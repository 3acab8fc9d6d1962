// xrollup superblock explorer: plain JavaScript, no build step.
//
// Lanes (rows) are chains, columns are superblocks (newest on the right). Superblocks arrive
// live from eth_subscribe("xr_newSuperblocks") on this page's own chain (the first chain);
// every block's transactions and receipts are read over HTTP from its own chain's endpoint.
// Cross-rollup calls (receipt.xcalls[].destinationTxHash) are drawn as arrows and bundles
// (superblock.bundles, xr_getBundleStatus legs) as outlines, both on an SVG overlay.
//
// Stable hooks for tests: .lane-label[data-chain], .cell[data-chain][data-superblock],
// .tx[data-tx][data-chain][data-status][data-superblock] (class "failed" when status 0),
// path.arrow[data-from-tx][data-to-tx], rect.bundle[data-bundle], #panel[data-tx].
"use strict";

(() => {
  const HISTORY = 24; // superblocks loaded when the page opens
  const MAX_COLUMNS = 60; // superblocks kept on the board
  const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

  const state = {
    chains: [], // [{id, url, predeploys}]
    rpcUrl: new Map(), // chain id -> HTTP URL
    abis: { contracts: {}, events: {}, functions: {}, errors: {}, fingerprints: {} },
    names: new Map(), // lowercase address -> name (predeploys)
    codeNames: new Map(), // "cid:address" -> Promise<name|null>
    columns: new Map(), // superblock number -> column
    txs: new Map(), // tx hash -> entry
    arrows: [], // {from, to, fromChain, toChain, success, superblock}
    incoming: new Map(), // destination tx hash -> [{from, fromChain}]
    bundles: new Map(), // bundle hash -> {hash, superblock, legs}
    trace: new Map(), // chain id -> true | false (debug_traceTransaction available)
    sequencer: null,
    lastNumber: -1,
    selected: null,
  };

  // ------------------------------------------------------------------ small helpers

  const $ = (sel, root = document) => root.querySelector(sel);
  const hexToInt = (v) => (typeof v === "number" ? v : v == null ? null : parseInt(v, 16));
  const short = (h, n = 6) => (h && h.length > 2 * n + 2 ? `${h.slice(0, n + 2)}…${h.slice(-4)}` : h || "");
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "html") node.innerHTML = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function svg(tag, attrs = {}) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) if (v != null) node.setAttribute(k, v);
    return node;
  }

  function message(text) {
    $("#message").textContent = text || "";
  }

  // ------------------------------------------------------------------ JSON-RPC

  let rpcId = 1;

  class RpcError extends Error {
    constructor(error) {
      super(error.message || "JSON-RPC error");
      this.code = error.code;
      this.data = error.data;
    }
  }

  async function rpc(chainId, method, params = []) {
    const url = chainId == null ? "/" : state.rpcUrl.get(chainId);
    if (!url) throw new Error(`no endpoint for chain ${chainId}`);
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: rpcId++, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new RpcError(body.error);
    return body.result;
  }

  // A chain's URL as this browser reaches it: same host as the page, that chain's port.
  function browserUrl(url) {
    try {
      const u = new URL(url);
      if (u.port === location.port) return `${location.origin}/`;
      return `${location.protocol}//${location.hostname}:${u.port}/`;
    } catch {
      return url;
    }
  }

  // ------------------------------------------------------------------ ABI decoding

  function hexToBytes(hex) {
    const h = hex.startsWith("0x") ? hex.slice(2) : hex;
    const out = new Uint8Array(h.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
  }
  const bytesToHex = (b) => "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

  function word(data, at) {
    if (at < 0 || at + 32 > data.length) throw new RangeError("out of bounds");
    return BigInt(bytesToHex(data.subarray(at, at + 32)));
  }
  const smallInt = (data, at) => {
    const w = word(data, at);
    if (w > BigInt(data.length)) throw new RangeError("bad offset");
    return Number(w);
  };

  const ARRAY = /^(.*)\[(\d*)\]$/;

  function isDynamic(p) {
    const t = p.type;
    if (t === "string" || t === "bytes") return true;
    const m = t.match(ARRAY);
    if (m) return m[2] === "" || isDynamic({ ...p, type: m[1] });
    if (t === "tuple") return (p.components || []).some(isDynamic);
    return false;
  }

  function headSize(p) {
    if (isDynamic(p)) return 32;
    const m = p.type.match(ARRAY);
    if (m) return Number(m[2]) * headSize({ ...p, type: m[1] });
    if (p.type === "tuple") return (p.components || []).reduce((s, c) => s + headSize(c), 0);
    return 32;
  }

  function decodeTuple(params, data, base) {
    const out = [];
    let off = base;
    for (const p of params) {
      if (isDynamic(p)) {
        out.push(decodeValue(p, data, base + smallInt(data, off)));
        off += 32;
      } else {
        out.push(decodeValue(p, data, off));
        off += headSize(p);
      }
    }
    return out;
  }

  function decodeValue(p, data, at) {
    const t = p.type;
    const m = t.match(ARRAY);
    if (m) {
      const inner = { ...p, type: m[1] };
      let n = Number(m[2]);
      let start = at;
      if (m[2] === "") {
        n = smallInt(data, at);
        start = at + 32;
      }
      if (n > 4096) throw new RangeError("array too long");
      return { array: decodeTuple(Array(n).fill(inner), data, start) };
    }
    if (t === "tuple") {
      const vals = decodeTuple(p.components || [], data, at);
      return { tuple: vals.map((v, i) => [p.components[i].name, v]) };
    }
    if (t === "string" || t === "bytes") {
      const len = smallInt(data, at);
      if (at + 32 + len > data.length) throw new RangeError("out of bounds");
      const b = data.subarray(at + 32, at + 32 + len);
      return t === "string" ? new TextDecoder().decode(b) : bytesToHex(b);
    }
    const w = word(data, at);
    if (t === "address") return "0x" + w.toString(16).padStart(40, "0");
    if (t === "bool") return w !== 0n;
    if (t.startsWith("uint")) return w;
    if (t.startsWith("int")) {
      const bits = BigInt(Number(t.slice(3) || 256));
      return w >= 1n << (bits - 1n) ? w - (1n << bits) : w;
    }
    const fixed = t.match(/^bytes(\d+)$/);
    if (fixed) return bytesToHex(data.subarray(at, at + Number(fixed[1])));
    return bytesToHex(data.subarray(at, at + 32)); // unknown: the raw word
  }

  function decodeLog(log) {
    if (!log.topics || !log.topics.length) return null;
    for (const ev of state.abis.events[log.topics[0]] || []) {
      const indexed = ev.inputs.filter((i) => i.indexed);
      if (indexed.length !== log.topics.length - 1) continue;
      try {
        const values = decodeTuple(ev.inputs.filter((i) => !i.indexed), hexToBytes(log.data || "0x"), 0);
        let ti = 1;
        let vi = 0;
        const args = ev.inputs.map((inp) => {
          if (!inp.indexed) return [inp.name, values[vi++], inp.type];
          const topic = log.topics[ti++];
          return [inp.name, isDynamic(inp) ? `${topic} (hash)` : decodeValue(inp, hexToBytes(topic), 0), inp.type];
        });
        return { contract: ev.contract, name: ev.name, signature: ev.signature, args };
      } catch {
        // try the next candidate
      }
    }
    return null;
  }

  function decodeCall(input) {
    if (!input || input.length < 10) return null;
    for (const fn of state.abis.functions[input.slice(0, 10)] || []) {
      try {
        const values = decodeTuple(fn.inputs, hexToBytes(input.slice(10)), 0);
        return { contract: fn.contract, name: fn.name, signature: fn.signature, args: fn.inputs.map((p, i) => [p.name, values[i], p.type]) };
      } catch {
        // next
      }
    }
    return null;
  }

  function decodeRevert(data) {
    if (!data || data.length < 10) return null;
    const sel = data.slice(0, 10);
    try {
      if (sel === "0x08c379a0") return decodeTuple([{ type: "string" }], hexToBytes(data.slice(10)), 0)[0];
      if (sel === "0x4e487b71") return `panic 0x${decodeTuple([{ type: "uint256" }], hexToBytes(data.slice(10)), 0)[0].toString(16)}`;
      for (const er of state.abis.errors[sel] || []) {
        const vals = decodeTuple(er.inputs, hexToBytes(data.slice(10)), 0);
        return `${er.name}(${vals.map((v) => fmtValue(v)).join(", ")})`;
      }
    } catch {
      // fall through
    }
    return null;
  }

  function fmtValue(v, type) {
    if (typeof v === "bigint") return v.toString();
    if (v && v.array) return `[${v.array.map((x) => fmtValue(x)).join(", ")}]`;
    if (v && v.tuple) return `(${v.tuple.map(([k, x]) => (k ? `${k}: ` : "") + fmtValue(x)).join(", ")})`;
    if (typeof v === "string" && type === "address") {
      const name = state.names.get(v.toLowerCase());
      return name ? `${v} (${name})` : v;
    }
    if (typeof v === "string" && type === "string") return JSON.stringify(v);
    return String(v);
  }

  function argsNode(args) {
    return el("div", { class: "args" }, args.map(([k, v, t]) => el("div", {}, el("span", { class: "k", text: `${k || "_"}: ` }), el("span", { class: "mono", text: fmtValue(v, t) }))));
  }

  // Contract names: the predeploys by address, anything else by its runtime code's fingerprint.
  function fingerprint(code) {
    const c = code.startsWith("0x") ? code.slice(2) : code;
    if (c.length < 128) return null;
    const trailer = parseInt(c.slice(-4), 16) * 2 + 4;
    const body = trailer < c.length ? c.slice(0, -trailer) : c;
    return `${c.length / 2}:${body.slice(-160)}`;
  }

  function contractName(chainId, address) {
    if (!address) return Promise.resolve(null);
    const a = address.toLowerCase();
    if (state.names.has(a)) return Promise.resolve(state.names.get(a));
    const key = `${chainId}:${a}`;
    if (!state.codeNames.has(key)) {
      state.codeNames.set(
        key,
        rpc(chainId, "eth_getCode", [a, "latest"])
          .then((code) => (code && code !== "0x" ? state.abis.fingerprints[fingerprint(code)] || "contract" : null))
          .catch(() => null),
      );
    }
    return state.codeNames.get(key);
  }

  // ------------------------------------------------------------------ the board

  function setupLanes() {
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
  }

  // Place a superblock on the board (synchronously, so that columns keep their order), then
  // load its blocks' transactions and receipts.
  function addSuperblock(sb) {
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
    for (const c of state.chains) {
      const block = sb.blocks.find((b) => hexToInt(b.chainId) === c.id);
      const cell = el("div", { class: "cell", dataset: { chain: String(c.id), superblock: String(number), block: block ? String(hexToInt(block.number)) : "" } });
      if (block && total) cell.append(el("div", { class: "blk", text: `block ${hexToInt(block.number)}` }));
      col.cells.set(c.id, cell);
      col.el.append(cell);
      if (block) laneHeight(c.id, hexToInt(block.number));
    }
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
      onclick: () => openPanel(tx.hash),
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

  // Why a plain transaction reverted: replay it with eth_call on the state before its block.
  async function revertReason(entry) {
    const { tx, chainId } = entry;
    const number = hexToInt(tx.blockNumber);
    if (!number) return null;
    const call = { from: tx.from, to: tx.to, data: tx.input, value: tx.value, gas: tx.gas };
    try {
      await rpc(chainId, "eth_call", [call, "0x" + (number - 1).toString(16)]);
      return "reverted (replay succeeded: depends on earlier transactions of the block)";
    } catch (err) {
      if (!(err instanceof RpcError)) return null;
      const decoded = typeof err.data === "string" ? decodeRevert(err.data) : null;
      if (decoded && !err.message.includes(decoded)) return `${err.message}: ${decoded}`;
      return err.message;
    }
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

  // ------------------------------------------------------------------ the overlay

  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function draw() {
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
      path.addEventListener("click", () => openPanel(a.from));
      overlay.append(path);
    }
  }

  // ------------------------------------------------------------------ the panel

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

  async function openPanel(hash, chainHint) {
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

  async function traceOf(chainId, hash) {
    if (state.trace.get(chainId) === false) return { unavailable: true };
    try {
      const t = await rpc(chainId, "debug_traceTransaction", [hash, { tracer: "callTracer" }]);
      state.trace.set(chainId, true);
      return { trace: t };
    } catch (err) {
      if (err instanceof RpcError && err.code === -32601) {
        state.trace.set(chainId, false);
        return { unavailable: true };
      }
      return { error: err.message };
    }
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

  function closePanel() {
    $("#panel").hidden = true;
    document.body.classList.remove("panel-open");
    scheduleDraw();
    state.selected = null;
    document.querySelectorAll(".tx.selected").forEach((n) => n.classList.remove("selected"));
  }

  // ------------------------------------------------------------------ live feed

  let ws = null;
  let backoff = 500;

  function setStatus(kind, text) {
    const s = $("#status");
    s.dataset.ws = kind;
    s.textContent = text;
  }

  async function catchUp() {
    const head = hexToInt(await rpc(null, "xr_blockNumber"));
    const from = Math.max(0, state.lastNumber + 1, head - HISTORY + 1);
    const numbers = [];
    for (let n = from; n <= head; n++) numbers.push(n);
    const sbs = await Promise.all(numbers.map((n) => rpc(null, "xr_getSuperblockByNumber", ["0x" + n.toString(16), false])));
    for (const sb of sbs) if (sb) addSuperblock(sb);
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/`);
    let subscribed = false;
    ws.onopen = () => {
      setStatus("connecting", "subscribing…");
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["xr_newSuperblocks"] }));
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.id === 1) {
        if (msg.error) {
          setStatus("error", `subscribe failed: ${msg.error.message}`);
          return;
        }
        subscribed = true;
        backoff = 500;
        setStatus("live", "live");
        catchUp().catch((err) => message(`could not load superblocks: ${err.message}`)).finally(() => { document.body.dataset.ready = "true"; });
      } else if (msg.method === "eth_subscription" && msg.params) {
        const sb = msg.params.result;
        const n = hexToInt(sb.number);
        if (state.lastNumber >= 0 && n > state.lastNumber + 1 && !state.columns.has(n)) {
          // missed some (a burst while loading): fetch the gap first, in order
          const gap = [];
          for (let k = Math.max(state.lastNumber + 1, n - HISTORY); k < n; k++) gap.push(k);
          state.lastNumber = n - 1;
          Promise.all(gap.map((k) => rpc(null, "xr_getSuperblockByNumber", ["0x" + k.toString(16), false])))
            .then((list) => list.forEach((s) => s && addSuperblock(s)))
            .catch(() => {});
        }
        addSuperblock(sb);
      }
    };
    ws.onclose = () => {
      setStatus("closed", subscribed ? "disconnected, retrying…" : "cannot connect, retrying…");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
    ws.onerror = () => {};
  }

  async function start() {
    $("#panel-close").addEventListener("click", closePanel);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });
    window.addEventListener("resize", scheduleDraw);
    new ResizeObserver(scheduleDraw).observe($("#grid"));
    $("#scroller").addEventListener("scroll", () => { stickRight = atRightEdge(); }, { passive: true });
    $("#follow").addEventListener("change", () => {
      stickRight = true;
      followNewest();
    });
    try {
      const [chains, abis] = await Promise.all([
        rpc(null, "xr_chains"),
        fetch("/explorer/abis.json").then((r) => r.json()).catch(() => null),
      ]);
      if (abis) state.abis = abis;
      state.chains = chains.map((c, i) => ({ id: Number(c.chainId), url: c.rpcUrl, predeploys: c.predeploys || {}, index: i }));
      for (const c of state.chains) {
        state.rpcUrl.set(c.id, c.index === 0 ? `${location.origin}/` : browserUrl(c.url));
        for (const [name, addr] of Object.entries(c.predeploys)) {
          state.names.set(addr.toLowerCase(), name);
          if (name === "Sequencer") state.sequencer = addr.toLowerCase();
        }
      }
      state.names.delete(ZERO_ADDRESS);
      setupLanes();
    } catch (err) {
      message(`could not reach the devnet: ${err.message}`);
      setStatus("error", "offline");
      return;
    }
    connect();
  }

  window.xrollupExplorer = { state, decodeLog, decodeCall, decodeTuple, hexToBytes, fingerprint, openPanel, draw };
  start();
})();
