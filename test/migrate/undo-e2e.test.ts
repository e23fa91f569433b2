/**
 * A reversible migrate.run through the real engine on SQLite: `cutover plan`
 * says abort can undo it, a failing later step aborts the run and the undo
 * scripts take the schema back; an abort whose undo failed is resumed with
 * `cutover abort` again and finishes without repeating what it had undone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateRun } from "../../src/actions/migrate-run.js";
import { abortPreview, planPlaybook, tryLoad } from "../../src/api/inspect.js";
import { decide, drive, startRun } from "../../src/api/run.js";
import { undoKindOf } from "../../src/engine/abort-order.js";
import type { RunEvent } from "../../src/engine/events.js";
import { cli } from "./cli-harness.js";

const PLAYBOOK = `version: 1
name: undo-e2e
environment:
  state: { provider: file }
  db: { provider: sqlite, path: app.db }
params:
  acknowledge: { type: list, default: [], description: "check codes to bypass" }
steps:
  - id: expand
    action: migrate.run
    # A templated list: abort must judge the undo kind on the resolved inputs, not the raw ones.
    with: { dir: scripts, phase: expand, release: v2, reversible: true, acknowledge: "\${{ params.acknowledge }}" }
  - id: smoke
    action: exec
    with: { command: ${JSON.stringify([process.execPath, "-e", "process.exit(3)"])} }
    onFailure: abort
`;

function setUp(scripts: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-undo-e2e-"));
  writeFileSync(path.join(dir, "release.yaml"), PLAYBOOK);
  mkdirSync(path.join(dir, "scripts"));
  for (const [name, text] of Object.entries(scripts)) writeFileSync(path.join(dir, "scripts", name), text);
  const db = new Database(path.join(dir, "app.db"));
  db.exec(
    "create table users (id integer primary key, email text); insert into users values (1, 'a@x'); pragma " +
      "user_version = 1;",
  );
  db.close();
  return dir;
}

const read = <T>(dir: string, fn: (db: Database.Database) => T): T => {
  const db = new Database(path.join(dir, "app.db"), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
};
const columns = (dir: string) =>
  read(dir, (db) =>
    (db.prepare("select name from pragma_table_info('users')").all() as { name: string }[]).map((r) => r.name),
  );
const journal = (dir: string) =>
  read(
    dir,
    (db) =>
      db.prepare("select seq, status, run_id as runId from cutover_migration_journal order by id").all() as {
        seq: number;
        status: string;
        runId: string;
      }[],
  );

describe("reversible migrate.run through the engine", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  let dir: string;
  beforeAll(() => {
    dir = setUp({
      "0001_email_lower.expand.sql": "alter table users add column email_lower text;\npragma user_version = 2;",
      "0001_email_lower.expand.undo.sql": "alter table users drop column email_lower;\npragma user_version = 1;",
    });
    dirs.push(dir);
  });

  it(
    "plan says abort can undo the step (and describe says " +
      "reversible); without reversible an expand has nothing to undo",
    () => {
      const { entries } = planPlaybook(path.join(dir, "release.yaml"), {});
      const expand = entries.find((e) => e.id === "expand");
      expect(expand).toMatchObject({ undo: "recorded", pointOfNoReturn: false });
      expect(expand?.summary).toMatch(
        /^apply pending 'expand' scripts from scripts \(1 in the folder\); reversible: abort runs the undo scripts$/,
      );
      expect(undoKindOf(migrateRun, { dir: "x", phase: "contract", reversible: true })).toBe("recorded");
      expect(undoKindOf(migrateRun, { dir: "x", phase: "contract" })).toBe("irreversible");
      expect(undoKindOf(migrateRun, { dir: "x", phase: "expand" })).toBe("none");
    },
  );

  it("a failing later step aborts the run: the undo scripts take the schema back, journaled", async () => {
    const events: RunEvent[] = [];
    const session = await startRun(path.join(dir, "release.yaml"), {
      stateDir: path.join(dir, ".cutover"),
      onEvent: (e) => events.push(e),
    });
    const runId = session.journal.runId;
    const state = await drive(session);
    expect(state.status).toBe("aborted");
    expect(events.some((e) => e.type === "undo.succeeded" && (e as { stepId: string }).stepId === "expand")).toBe(true);
    expect(columns(dir)).toEqual(["id", "email"]);
    expect(read(dir, (db) => db.pragma("user_version", { simple: true }))).toBe(1);
    expect(journal(dir)).toEqual([
      { seq: 1, status: "succeeded", runId },
      { seq: 1, status: "undone", runId },
    ]);
    const status = await cli([
      "migrate",
      "status",
      "--sqlite",
      path.join(dir, "app.db"),
      "--dir",
      path.join(dir, "scripts"),
    ]);
    expect(status.out).toMatch(/1 pending \(1 undone\)/);
    expect(status.out).toMatch(/0001 undone\s+0001_email_lower\.expand\.sql\s+undone by run /);
  });

  it(
    "a reversible step that fails halfway is undone too: " + "the scripts it applied before the failure are taken back",
    async () => {
      const d = setUp({
        "0001_a.expand.sql": "alter table users add column a text;",
        "0001_a.expand.undo.sql": "alter table users drop column a;",
        "0002_b.expand.sql": "alter table users add column b text;\ninsert into no_such_table values (1);",
        "0002_b.expand.undo.sql": "alter table users drop column b;",
      });
      dirs.push(d);
      // The migration step itself aborts the run when it fails.
      writeFileSync(
        path.join(d, "release.yaml"),
        PLAYBOOK.replace(
          'acknowledge: "${{ params.acknowledge }}" }',
          'acknowledge: "${{ params.acknowledge }}" }\n    onFailure: abort',
        ),
      );
      const events: RunEvent[] = [];
      const session = await startRun(path.join(d, "release.yaml"), {
        stateDir: path.join(d, ".cutover"),
        onEvent: (e) => events.push(e),
      });
      const runId = session.journal.runId;
      const state = await drive(session);
      expect(state.status).toBe("aborted");
      expect(state.steps.expand?.status).toBe("failed");
      expect(state.steps.expand?.undo.status).toBe("succeeded");
      expect(events.some((e) => e.type === "step.started" && (e as { stepId: string }).stepId === "smoke")).toBe(false);
      expect(columns(d)).toEqual(["id", "email"]);
      expect(journal(d)).toEqual([
        { seq: 1, status: "succeeded", runId },
        { seq: 2, status: "failed", runId },
        { seq: 1, status: "undone", runId },
      ]);
    },
  );

  it("an abort whose undo failed is resumed by aborting again, without repeating the undo that succeeded", async () => {
    const d = setUp({
      "0001_a.expand.sql": "alter table users add column a text;",
      // Fails until undo_gate exists.
      "0001_a.expand.undo.sql": "alter table users drop column a;\ninsert into undo_gate values (1);",
      "0002_b.expand.sql": "alter table users add column b text;",
      "0002_b.expand.undo.sql": "alter table users drop column b;",
    });
    dirs.push(d);
    const stateDir = path.join(d, ".cutover");
    const session = await startRun(path.join(d, "release.yaml"), { stateDir });
    const runId = session.journal.runId;
    const first = await drive(session);
    expect(first.status).toBe("paused");
    expect(first.steps.expand?.undo.status).toBe("failed");
    expect(first.steps.expand?.undo.error?.message).toMatch(/undo of script 1 \(expand\) failed/);
    expect(columns(d)).toEqual(["id", "email", "a"]);
    // `cutover status` tells the on-call what another abort would do: undo the expand.
    expect(abortPreview(first, tryLoad(path.join(d, "release.yaml"))).find((e) => e.id === "expand")?.undo).toBe(
      "recorded",
    );

    const db = new Database(path.join(d, "app.db"));
    db.exec("create table undo_gate (n integer)");
    db.close();
    const second = await drive(await decide(runId, "abort", { stateDir }));
    expect(second.status).toBe("aborted");
    expect(columns(d)).toEqual(["id", "email"]);
    expect(journal(d).map((r) => [r.seq, r.status])).toEqual([
      [1, "succeeded"],
      [2, "succeeded"],
      [2, "undone"],
      [1, "undo_failed"],
      [1, "undone"],
    ]);
  });
});
