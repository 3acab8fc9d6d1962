// xrollup superblock explorer: native ES modules, no build step. This one starts the page and
// keeps it live; the others, by job:
//   state.js   the page's state (chains, ABI index, what is on the board)
//   rpc.js     JSON-RPC over HTTP to each chain
//   abi.js     ABI decoding of calls, logs and revert data
//   format.js  hex quantities, short hashes, decoded values
//   lookups.js contract names, revert reasons, call traces
//   board.js   the lanes view: lanes, superblock columns, transactions
//   overlay.js bundle outlines, cross-rollup arrows and MEV links (SVG)
//   mev.js     MEV findings (xr_getMevReport) marked on the transactions they involve
//   panel.js   the details view: one transaction's receipt, logs and trace
//   dom.js     small DOM helpers
//   faults.js  the sequencer's fault modes: banner, superblock marks, reorgs, held transactions
//
// Lanes (rows) are chains, columns are superblocks (newest on the right). Superblocks arrive
// live from eth_subscribe("xr_newSuperblocks") on this page's own chain (the first chain);
// every block's transactions and receipts are read over HTTP from its own chain's endpoint.
// Cross-rollup calls (receipt.xcalls[].destinationTxHash) are drawn as arrows and bundles
// (superblock.bundles, xr_getBundleStatus legs) as outlines, both on an SVG overlay.
//
// Stable hooks for tests: .lane-label[data-chain], .cell[data-chain][data-superblock],
// .tx[data-tx][data-chain][data-status][data-superblock] (class "failed" when status 0),
// path.arrow[data-from-tx][data-to-tx], rect.bundle[data-bundle], #panel[data-tx],
// .tx[data-mev-role][data-mev-kind], path.mev[data-finding][data-kind].

import { decodeCall, decodeLog, decodeTuple, hexToBytes } from "./abi.js";
import { addSuperblock, followControls, setupLanes } from "./board.js";
import { $, message } from "./dom.js";
import { refreshFaults, watchFaults } from "./faults.js";
import { hexToInt } from "./format.js";
import { fingerprint } from "./lookups.js";
import { mevMarks } from "./mev.js";
import { draw, scheduleDraw } from "./overlay.js";
import { closePanel, openPanel } from "./panel.js";
import { browserUrl, rpc } from "./rpc.js";
import { HISTORY, state, ZERO_ADDRESS } from "./state.js";

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
      refreshFaults(); // fault marks for the new column (faults.js)
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
  document.addEventListener("xr-open-tx", (e) => openPanel(e.detail.hash, e.detail.chainId));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });
  window.addEventListener("resize", scheduleDraw);
  new ResizeObserver(scheduleDraw).observe($("#grid"));
  followControls();
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
  watchFaults();
}

window.xrollupExplorer = { state, decodeLog, decodeCall, decodeTuple, hexToBytes, fingerprint, openPanel, draw, mevMarks };
start();
