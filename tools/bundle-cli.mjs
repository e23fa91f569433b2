#!/usr/bin/env node
// Bundles the CLI that tsc compiled (dist/src/cli/main.js) into dist/cli/: one file for what every command
// needs, one chunk per command (src/cli/program.ts loads commands on use) and per lazily loaded provider SDK.
// Why: Node 20 loads an unbundled ES module graph file by file (resolve, read, compile each of ~400 files:
// zod alone costs ~50 ms that way, ~7 ms bundled), and `cutover status` has a 100 ms budget
// (bench/engine/RESULTS.md). Run by `npm run build`; package.json's bin points at the result.
//
// Packages stay external (node_modules, loaded by Node as usual) except the few pure-JS ones every command
// loads at start: bundling the Azure SDKs, native addons (better-sqlite3) or pg would gain nothing (they are
// loaded on use) and risk their own module-loading tricks.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const INLINED = new Set(["commander", "zod", "yaml", "picocolors"]);
/** A bare specifier's package name (`@azure/identity/x` → `@azure/identity`); undefined for a relative path. */
const packageOf = (id) => {
  if (id.startsWith(".") || path.isAbsolute(id) || id.startsWith("\0")) return undefined;
  const parts = id.split("/");
  return id.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
};
const isExternal = (id) => {
  const name = packageOf(id);
  return name !== undefined && !INLINED.has(name);
};

const outDir = path.join(root, "dist", "cli");
fs.rmSync(outDir, { recursive: true, force: true });
await build({
  input: { cutover: path.join(root, "dist", "src", "cli", "main.js") },
  platform: "node",
  external: isExternal,
  logLevel: "warn",
  output: {
    dir: outDir,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: true,
  },
});
fs.chmodSync(path.join(outDir, "cutover.js"), 0o755);
