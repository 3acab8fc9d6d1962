// Formatting: hex quantities, shortened hashes, decoded ABI values (addresses with their names).

import { state } from "./state.js";

export const hexToInt = (v) => (typeof v === "number" ? v : v == null ? null : parseInt(v, 16));
export const short = (h, n = 6) => (h && h.length > 2 * n + 2 ? `${h.slice(0, n + 2)}…${h.slice(-4)}` : h || "");

export function fmtValue(v, type) {
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
