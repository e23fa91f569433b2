/**
 * The migrate.* actions driven by the real engine (startRun +
 * drive) on SQLite: provider wiring, outputs, checkpoints, dry run.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun } from "../../src/api/run.js";
import type { RunEvent } from "../../src/engine/events.js";
import Database from "better-sqlite3";

const PLAYBOOK = `version: 1
name: migrate-e2e
environment:
  state: { provider: file }
  db: { provider: sqlite, path: app.db }
params:
  version: { type: string, default: v2 }
  acknowledge: { type: list, default: [], description: "check codes to bypass" }
steps:
  - id: preflight
    action: migrate.check
    with: { dir: scripts, phase: expand, acknowledge: "\${{ params.acknowledge }}" }
  - id: snapshot
    action: migrate.validate
    with: { mode: snapshot, preserve: [{ table: users, columns: [id, email] }] }
  - id: expand
    action: migrate.run
    with: { dir: scripts, phase: expand, release: "\${{ params.version }}", acknowledge: "\${{ params.acknowledge }}" }
  - id: backfill
    action: migrate.backfill
    with: { table: users, key: id, set: "email_lower = lower(email)", where: "email_lower is null", batchSize: 100 }
  - id: compare
    action: migrate.validate
    with: { mode: compare, preserve: [{ table: users, columns: [id, email] }] }
`;

describe("migrate.* through the engine", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cutover-migrate-e2e-"));
    writeFileSync(path.join(dir, "release.yaml"), PLAYBOOK);
    mkdirSync(path.join(dir, "scripts"));
    writeFileSync(
      path.join(dir, "scripts", "0001_email_lower.expand.sql"),
      "alter table users add column email_lower text;",
    );
    mkdirSync(path.join(dir, "scripts", "checks"));
    writeFileSync(
      path.join(dir, "scripts", "checks", "legacy.sql"),
      "-- cutover:check E_LEGACY\n-- cutover:message Legacy user 1 needs a look.\nselect id from users where id = 1",
    );
    const db = new Database(path.join(dir, "app.db"));
    db.exec(
      "create table users (id integer primary key, email text); with recursive n(i) as (select 1 union all " +
        "select i + 1 from n where i < 1000) insert into users (id, email) select i, 'U' || i || '@X.ORG' from n;",
    );
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs every step to success", async () => {
    const events: RunEvent[] = [];
    const session = await startRun(path.join(dir, "release.yaml"), {
      stateDir: path.join(dir, ".cutover"),
      params: { acknowledge: "E_LEGACY" },
      onEvent: (e) => events.push(e),
    });
    try {
      const state = await session.drive();
      expect(state.status).toBe("succeeded");
    } finally {
      await session.close();
    }
    const ok = Object.fromEntries(
      events
        .filter((e) => e.type === "step.succeeded")
        .map((e) => [(e as { stepId: string }).stepId, (e as { outputs: unknown }).outputs]),
    );
    expect(ok.expand).toMatchObject({ applied: 1, scripts: ["0001_email_lower.expand.sql"] });
    expect(ok.backfill).toMatchObject({ rowsDone: 1000, rowsTotal: 1000 });
    expect(ok.compare).toMatchObject({ tables: ["users"], rows: 1000 });
    expect(events.some((e) => e.type === "step.checkpoint" && (e as { stepId: string }).stepId === "backfill")).toBe(
      true,
    );
    const after = new Database(path.join(dir, "app.db"), { readonly: true });
    expect(after.prepare("select count(*) as n from users where email_lower = lower(email)").get()).toEqual({
      n: 1000,
    });
    // The command-line acknowledgement (--param acknowledge=E_LEGACY) is recorded with the script.
    expect(after.prepare("select status, release, acknowledged from cutover_migration_journal").all()).toEqual([
      { status: "succeeded", release: "v2", acknowledged: "E_LEGACY" },
    ]);
    after.close();
  });
});
