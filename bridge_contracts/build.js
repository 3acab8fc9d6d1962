#!/usr/bin/env node
// Compile bridge_contracts/src/**/*.sol with solcjs (standard JSON) and write one artifact
// per contract to artifacts/<ContractName>.json (or to the directory given as argv[2]).
//
// Settings: optimizer on (200 runs), evmVersion "prague" (py-evm's newest fork; solc's
// default target is newer and would emit opcodes py-evm rejects), metadata bytecodeHash
// "none" so bytecode does not depend on source paths / comments via the CBOR metadata hash.
//
// Artifacts: every contract, abstract contract, interface and library *defined* in src/
// gets an artifact. Interfaces and abstract contracts have "bytecode": "0x" and
// "deployedBytecode": "0x" (their ABI is still useful to Python callers).
// Output is deterministic: keys sorted recursively, 2-space indent, trailing newline,
// no timestamps or absolute paths. Stale artifacts (no longer defined in src/) are removed.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = __dirname;
const SRC = path.join(ROOT, "src");
// Warnings that are expected and reviewed: 2394 "transient storage can break composability"
// (the mailbox/messenger contexts are saved and restored around each call), 2519 shadowing
// (Counter.blockInfo names its first return value `number`, as the devnet tests expect), 5159
// selfdestruct deprecated (SafeSend self-destructs in its constructor, the EIP-6780 case that
// still removes the account, to pay ETH without calling the recipient, as OP's SafeSend).
const QUIET_WARNINGS = new Set(["2394", "2519", "5159"]);
const OUT = path.resolve(process.argv[2] || path.join(ROOT, "artifacts"));

function listSol(dir) {
  const out = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...listSol(p));
    else if (ent.isFile() && ent.name.endsWith(".sol")) out.push(p);
  }
  return out;
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

function srcName(file) {
  // source unit names are relative to bridge_contracts/, with forward slashes: "src/Counter.sol"
  return path.relative(ROOT, file).split(path.sep).join("/");
}

function findImports(importPath) {
  // imports are resolved relative to bridge_contracts/ (solc already resolves "./x.sol"
  // against the importing unit's name, which starts with "src/")
  const candidates = [path.join(ROOT, importPath), path.join(ROOT, "node_modules", importPath)];
  for (const c of candidates) {
    if (fs.existsSync(c)) return { contents: fs.readFileSync(c, "utf8") };
  }
  return { error: `File not found: ${importPath}` };
}

function main() {
  const files = listSol(SRC).sort();
  const sources = {};
  for (const f of files) sources[srcName(f)] = { content: fs.readFileSync(f, "utf8") };

  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "prague",
      metadata: { bytecodeHash: "none" },
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
      },
    },
  };

  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  let failed = false;
  for (const e of output.errors || []) {
    if (e.severity === "error") failed = true;
    else if (QUIET_WARNINGS.has(e.errorCode)) continue;
    process.stderr.write((e.formattedMessage || e.message) + "\n");
  }
  if (failed) {
    process.stderr.write("solc: compilation failed\n");
    process.exit(1);
  }

  const version = solc.version();
  const artifacts = {};
  for (const sourceName of Object.keys(output.contracts || {}).sort()) {
    if (!sourceName.startsWith("src/")) continue; // only contracts defined in src/
    for (const [name, c] of Object.entries(output.contracts[sourceName])) {
      if (artifacts[name]) {
        process.stderr.write(`duplicate contract name ${name} in ${sourceName} and ${artifacts[name].sourceName}\n`);
        process.exit(1);
      }
      artifacts[name] = {
        contractName: name,
        sourceName,
        compiler: version,
        abi: c.abi,
        bytecode: "0x" + (c.evm.bytecode.object || ""),
        deployedBytecode: "0x" + (c.evm.deployedBytecode.object || ""),
      };
    }
  }

  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) {
    if (f.endsWith(".json") && !artifacts[f.slice(0, -5)]) fs.unlinkSync(path.join(OUT, f));
  }
  for (const name of Object.keys(artifacts).sort()) {
    const text = JSON.stringify(sortKeys(artifacts[name]), null, 2) + "\n";
    const dest = path.join(OUT, name + ".json");
    if (!fs.existsSync(dest) || fs.readFileSync(dest, "utf8") !== text) fs.writeFileSync(dest, text);
  }
  process.stdout.write(`compiled ${files.length} sources with solc ${version}: ${Object.keys(artifacts).length} artifacts -> ${OUT}\n`);
}

main();
