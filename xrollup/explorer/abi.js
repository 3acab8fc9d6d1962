// ABI decoding without a library: calls, logs and revert data, from the ABI index (abis.json).

import { fmtValue } from "./format.js";
import { state } from "./state.js";

export function hexToBytes(hex) {
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

export function decodeTuple(params, data, base) {
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

export function decodeLog(log) {
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

export function decodeCall(input) {
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

export function decodeRevert(data) {
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
