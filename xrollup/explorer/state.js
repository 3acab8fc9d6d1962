// The page's state: the chains, the ABI index, and what is on the board (columns, transactions,
// arrows, bundles). One shared object; the views read and update it.

export const HISTORY = 24; // superblocks loaded when the page opens
export const MAX_COLUMNS = 60; // superblocks kept on the board
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export const state = {
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
  mev: new Map(), // finding id -> {id, kind, superblock, extractor, crossRollup, chains, value, txs: [{hash, chainId, role}]}
  trace: new Map(), // chain id -> true | false (debug_traceTransaction available)
  sequencer: null,
  lastNumber: -1,
  selected: null,
};
