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

/**
 * The modules `cutover status` needs, found by following tsc's output from its command module: they go into one
 * chunk with the entry's, so that the on-call's look at a run loads two files, not ten (each file is a resolve, a
 * read and a compile; their sum was a fifth of status's budget). Everything else stays split per command.
 */
function staticClosure(entries) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)";/gms))
      visit(path.resolve(path.dirname(file), m[1]));
  };
  for (const e of entries) visit(e);
  return seen;
}
// Not main.js itself: it awaits the command's chunk at top level, which imports this one (a cycle that never settles).
const statusPath = staticClosure([
  path.join(root, "dist", "src", "cli", "program.js"),
  path.join(root, "dist", "src", "cli", "commands", "status.js"),
]);
/** The packages every command loads at start (the command line parser, colours) go into the same chunk. */
const START_PACKAGES = ["commander", "picocolors"].map(
  (name) => `${path.sep}node_modules${path.sep}${name}${path.sep}`,
);

/**
 * commander requires node:child_process at load, for executable subcommands (`git`-style), which cutover has
 * none of; loading it (with net and dgram) costs every command a few milliseconds. In the bundle it is required on
 * first use instead. The build fails if commander's source no longer has that line, rather than silently keep it.
 */
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: "commander-lazy-child-process",
  transform(code, id) {
    if (!id.includes(`${path.sep}node_modules${path.sep}commander${path.sep}lib${path.sep}command.js`)) return null;
    if (!code.includes(COMMANDER_CHILD_PROCESS))
      throw new Error(
        `commander's lib/command.js no longer has: ${COMMANDER_CHILD_PROCESS} (see tools/bundle-cli.mjs)`,
      );
    return code.replace(
      COMMANDER_CHILD_PROCESS,
      "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
    );
  },
};

const outDir = path.join(root, "dist", "cli");
fs.rmSync(outDir, { recursive: true, force: true });
await build({
  input: { cutover: path.join(root, "dist", "src", "cli", "main.js") },
  platform: "node",
  external: isExternal,
  plugins: [lazyChildProcess],
  logLevel: "warn",
  output: {
    dir: outDir,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
    codeSplitting: {
      groups: [
        {
          name: "core",
          test: (id) => statusPath.has(id) || START_PACKAGES.some((dir) => id.includes(dir)),
        },
      ],
    },
    sourcemap: false,
  },
});
fs.chmodSync(path.join(outDir, "cutover.js"), 0o755);
