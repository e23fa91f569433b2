#!/usr/bin/env node
/**
 * Regenerate docs/reference/ from the registries and schemas:
 *   npm run build && node dist/src/docs/gen-docs.js          (write)
 *   npm run build && node dist/src/docs/gen-docs.js --check  (exit 1 if out of date)
 * test/docs/reference.test.ts runs the same generation in memory.
 */
import fs from "node:fs";
import path from "node:path";
import { actions } from "../actions/registry.js";
import { providers } from "../providers/registry.js";
import { generateReference, REGENERATE } from "./reference.js";

/** The checkout's root: the nearest directory above this file with a package.json (works from src/ and dist/src/). */
export function repoRoot(from = import.meta.dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

function main(argv: string[]): number {
  const check = argv.includes("--check");
  const outDir = path.join(repoRoot(), "docs", "reference");
  const files = generateReference(actions, providers);
  const stale: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(outDir, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (current === content) continue;
    stale.push(name);
    if (!check) {
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(file, content);
    }
  }
  const rel = path.relative(process.cwd(), outDir) || ".";
  if (check) {
    if (stale.length) {
      process.stderr.write(`${rel}: out of date: ${stale.join(", ")}; run \`${REGENERATE}\`\n`);
      return 1;
    }
    process.stdout.write(`${rel}: up to date\n`);
  } else {
    process.stdout.write(stale.length ? `${rel}: wrote ${stale.join(", ")}\n` : `${rel}: already up to date\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
