#!/usr/bin/env node
// A tiny stand-in for the native `solc` CLI, backed by solc-js (npm `solc`).
// Supports what py-solc-x uses: `--version` and `--standard-json` reading the
// JSON input from stdin, with `--base-path` and `--include-path` for imports.
// It never calls process.exit() after writing: that truncates pipes at 64 KiB.
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const projectRoot = process.env.TRADELEDGER_ROOT || process.cwd();
const solc = require(require.resolve("solc", { paths: [projectRoot] }));

const args = process.argv.slice(2);
const option = (name) => {
  const values = [];
  args.forEach((a, i) => { if (a === name && args[i + 1]) values.push(args[i + 1]); });
  return values;
};

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (args.includes("--standard-json")) {
  const basePath = option("--base-path")[0] || projectRoot;
  const roots = [basePath, ...option("--include-path"), path.join(projectRoot, "node_modules")];
  const findImports = (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (existsSync(candidate)) return { contents: readFileSync(candidate, "utf8") };
    }
    return { error: `File not found: ${importPath} (looked in ${roots.join(", ")})` };
  };
  const input = readFileSync(0, "utf8");
  const output = solc.compile(input, { import: findImports });
  process.stdout.write(output);
} else {
  process.stderr.write("solc shim: only --version and --standard-json are supported\n");
  process.exitCode = 1;
}
