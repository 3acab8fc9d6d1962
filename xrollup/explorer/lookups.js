// What the page asks the chains beyond blocks and receipts: contract names (predeploys by address,
// anything else by its runtime code's fingerprint), why a transaction reverted, call traces.

import { decodeRevert } from "./abi.js";
import { hexToInt } from "./format.js";
import { RpcError, rpc } from "./rpc.js";
import { state } from "./state.js";

// Contract names: the predeploys by address, anything else by its runtime code's fingerprint.
export function fingerprint(code) {
  const c = code.startsWith("0x") ? code.slice(2) : code;
  if (c.length < 128) return null;
  const trailer = parseInt(c.slice(-4), 16) * 2 + 4;
  const body = trailer < c.length ? c.slice(0, -trailer) : c;
  return `${c.length / 2}:${body.slice(-160)}`;
}

export function contractName(chainId, address) {
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

// Why a plain transaction reverted: replay it with eth_call on the state before its block.
export async function revertReason(entry) {
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

export async function traceOf(chainId, hash) {
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
