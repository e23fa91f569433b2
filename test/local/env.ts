/**
 * Test fixtures for the local environment: the compiled supervisor (it runs
 * as a separate Node process, so it needs dist/), temp directories, and a
 * cleanup that leaves no process behind.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { localDown } from "../../src/providers/local/lifecycle.js";
import { isPidAlive } from "../../src/providers/local/files.js";
import type { LocalState } from "../../src/providers/local/types.js";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Build once if the compiled supervisor is missing or older than its sources (CI builds before testing). */
export function ensureBuilt(): void {
  const entry = path.join(ROOT, "dist/src/providers/local/supervisor-main.js");
  const srcDir = path.join(ROOT, "src/providers/local");
  const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
  const newest = Math.max(...fs.readdirSync(srcDir).map((f) => fs.statSync(path.join(srcDir, f)).mtimeMs));
  if (built >= newest) return;
  try {
    execFileSync(
      process.execPath,
      [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")],
      { stdio: "ignore" },
    );
  } catch {
    // tsc exits non-zero when any file in the tree has type errors but still emits.
  }
  if (!fs.existsSync(entry)) throw new Error(`cannot build ${entry}: run npm run build`);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cutover-${prefix}-`));
}

/** Stop the environment in `dir` and make sure no app process survives; remove the directory. */
export async function destroyLocal(dir: string): Promise<void> {
  await localDown({ dir, timeoutMs: 10_000 }).catch(() => undefined);
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as LocalState;
    for (const slot of Object.values(state.slots))
      if (slot.pid && isPidAlive(slot.pid)) process.kill(slot.pid, "SIGKILL");
  } catch {
    // No state: nothing was started.
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
