/**
 * A second release on an environment that already runs v2 (the idle slot is
 * now blue): aborting it after its migration step, which found nothing to
 * do, must leave v2 serving from green on schema 2 — the rollback undoes
 * only a migration the aborted run applied.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drive, startRun } from "../../src/api/run.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { BIN, startCli } from "../support/cli.js";
import { demoPlaybook } from "../support/demo-playbook.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

const stateDir = tempDir("second");
const client = new LocalClient({ dir: path.join(stateDir, "local") });

beforeAll(() => {
  ensureBuilt();
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
});
afterAll(async () => {
  await destroyLocal(path.join(stateDir, "local"));
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe("a second release", () => {
  it("aborted after a migration that had nothing to do, leaves the live version and its schema alone", async () => {
    const first = await drive(await startRun(demoPlaybook(stateDir), { stateDir, params: { grace: "0s" } }));
    expect(first.status).toBe("succeeded");
    expect((await client.status()).live).toBe("green");

    const held = await drive(
      await startRun(demoPlaybook(stateDir, { holdAfter: "swap", name: "again" }), {
        stateDir,
        params: { grace: "0s" },
      }),
    );
    expect(held.status).toBe("paused");
    expect(await client.status()).toMatchObject({ live: "blue", slots: { blue: { version: "v2" } } });

    const abort = startCli(["abort", held.runId], { stateDir, json: true });
    expect((await abort.done).code).toBe(0); // every change undone: the environment is back
    const now = await client.status();
    expect(now).toMatchObject({
      live: "green",
      slots: { green: { version: "v2", health: "healthy" }, blue: { running: false } },
    });
    expect(now.flags).toEqual({ MaintenanceMode: false });
    const db = new Database(path.join(stateDir, "local", "demo.sqlite"), { readonly: true });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(2);
    } finally {
      db.close();
    }
    const write = await fetch(`${now.publicUrl}/orders`, { method: "POST", body: "{}" });
    expect(write.status).toBe(201);
  });
});
