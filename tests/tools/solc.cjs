#!/usr/bin/env node
// The two solc command lines forge runs (`--version`, `--standard-json` on stdin), answered by
// npm's solc, for machines where forge cannot download a compiler (FOUNDRY_SOLC=<this file>).
const fs = require("node:fs");
const path = require("node:path");

const args = process.argv.slice(2);
if (args.includes("--version")) {
  // forge asks before every build; loading the compiler takes seconds, so its answer is kept
  const { version } = require("solc/package.json");
  const kept = path.join(__dirname, `.solc-${version}.version`);
  if (!fs.existsSync(kept)) fs.writeFileSync(kept, require("solc").version());
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${fs.readFileSync(kept, "utf8")}\n`);
} else if (args.includes("--standard-json")) {
  const chunks = [];
  process.stdin.on("data", (chunk) => chunks.push(chunk));
  process.stdin.on("end", () => {
    const base = args.includes("--base-path") ? args[args.indexOf("--base-path") + 1] : process.cwd();
    const findImports = (file) => {
      try {
        return { contents: fs.readFileSync(path.resolve(base, file), "utf8") };
      } catch (error) {
        return { error: String(error) };
      }
    };
    process.stdout.write(require("solc").compile(Buffer.concat(chunks).toString("utf8"), { import: findImports }));
  });
} else {
  process.stderr.write(`unsupported arguments: ${args.join(" ")}\n`);
  process.exit(2);
}
