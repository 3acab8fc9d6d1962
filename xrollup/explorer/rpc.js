// JSON-RPC over HTTP to any chain of the devnet (null: this page's own chain).

import { state } from "./state.js";

let rpcId = 1;

export class RpcError extends Error {
  constructor(error) {
    super(error.message || "JSON-RPC error");
    this.code = error.code;
    this.data = error.data;
  }
}

export async function rpc(chainId, method, params = []) {
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
export function browserUrl(url) {
  try {
    const u = new URL(url);
    if (u.port === location.port) return `${location.origin}/`;
    return `${location.protocol}//${location.hostname}:${u.port}/`;
  } catch {
    return url;
  }
}
