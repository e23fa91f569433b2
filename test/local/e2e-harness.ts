/**
 * Shared by the end-to-end tests of the demo release through the binary: a
 * state directory per test (cleaned up, local environment stopped), the
 * local environment with a load generator running, and the checks on what
 * that traffic saw.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect } from "vitest";
import { LocalClient } from "../../src/providers/local/client.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { LoadGenerator, type LoadReport } from "../../bench/local/loadgen.js";
import { BIN } from "../support/cli.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

/** Registers the suite's setup and teardown; returns a maker of state directories. */
export function e2eSuite(): () => string {
  const roots: string[] = [];
  beforeAll(() => {
    ensureBuilt();
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  });
  afterAll(async () => {
    for (const d of roots) await destroyLocal(path.join(d, "local"));
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = tempDir("e2e");
    roots.push(d);
    return d;
  };
}

export async function startEnvironment(stateDir: string) {
  const { status } = await localUp({ dir: path.join(stateDir, "local") });
  const load = new LoadGenerator({
    url: status.publicUrl,
    keepAliveWorkers: 3,
    freshWorkers: 1,
    writeRatio: 0.2,
    maxRequests: 500_000,
    maxDurationMs: 60_000,
    pauseMs: 2,
  }).start();
  return { status, load, client: new LocalClient({ dir: path.join(stateDir, "local") }) };
}

export function expectReadsNeverFailed(report: LoadReport): void {
  expect(report.total).toBeGreaterThan(100);
  expect(report.connectionErrors).toEqual([]);
  expect(report.samples.filter((s) => s.kind === "read" && s.status !== 200)).toEqual([]);
  // Writes were either accepted or refused for maintenance, nothing else.
  expect(report.samples.filter((s) => s.kind === "write" && s.status !== 201 && s.status !== 503)).toEqual([]);
}

export function schemaVersion(stateDir: string): number {
  const db = new Database(path.join(stateDir, "local", "demo.sqlite"), { readonly: true });
  try {
    return db.pragma("user_version", { simple: true }) as number;
  } finally {
    db.close();
  }
}
