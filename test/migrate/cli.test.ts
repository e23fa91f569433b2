/** `cutover migrate ...` in-process against SQLite: status, plan, resolve, accept-drift, unlock. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../src/providers/sql/apply.js";
import { MigrationLease } from "../../src/providers/sql/lease.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { cli } from "./cli-harness.js";
import { rewriteFile } from "./files.js";
import { createSqliteDb, removeDir, testLog, writeFolder, type TestDb } from "./helpers.js";

describe("cutover migrate (CLI)", () => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await createSqliteDb();
    dir = writeFolder({
      "0001_a.expand.sql": "create table c1 (id integer);",
      "0002_b.expand.sql": "create index c1_id on c1 (id);",
    });
  });
  afterAll(async () => {
    await db.drop();
    removeDir(dir);
  });

  it("shows status and plan, accepts drift and unlocks, all audited", async () => {
    const target = ["--sqlite", db.location, "--dir", dir];
    const plan = await cli(["migrate", "plan", ...target, "--phase", "expand"]);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain("would apply 2 scripts");
    expect(plan.out).toMatch(/heavy-lock \(statement 1\): CREATE INDEX without CONCURRENTLY/);

    await runMigrations(db.client(), {
      folder: loadScriptFolder(dir),
      phase: "expand",
      runId: "r1",
      release: "v2",
      log: testLog(),
    });
    const status = await cli(["-o", "json", "migrate", "status", ...target]);
    const parsed = JSON.parse(status.out) as {
      scripts: { state: string; release: string }[];
      lease: { live: boolean };
    };
    expect(parsed.scripts.map((s) => [s.state, s.release])).toEqual([
      ["applied", "v2"],
      ["applied", "v2"],
    ]);
    expect(parsed.lease.live).toBe(false);

    rewriteFile(dir, "0002_b.expand.sql", "create index c1_id on c1 (id); -- same index, now with a comment");
    const drifted = await cli(["migrate", "status", ...target]);
    expect(drifted.out).toMatch(/0002 drift\s+0002_b\.expand\.sql/);
    const noReason = await cli(["migrate", "accept-drift", "2", ...target, "--reason", " "]);
    expect(noReason.code).toBe(2);
    const ok = await cli(["migrate", "accept-drift", "2", ...target, "--reason", "comment only"]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/drift accepted by .+: comment only/);
    expect((await cli(["migrate", "status", ...target])).out).toMatch(/0002 applied\s+0002_b/);
    const history = await cli(["migrate", "status", "--history", ...target]);
    expect(history.out).toMatch(
      /0002 accepted_drift\s+0002_b\.expand\.sql run admin:.+ — drift accepted by .+: comment only/,
    );
    const notDirty = await cli(["migrate", "resolve", "1", ...target, "--mark", "failed", "--reason", "x"]);
    expect(notDirty.code).toBe(2);
    expect(notDirty.out).toMatch(/only a dirty \(running\) or failed script can be resolved/);

    // A live lease needs --force; the broken holder's writes are fenced out by the new token.
    const conn = await db.client().connect("holder");
    const held = await MigrationLease.acquire(db.client(), conn, { runId: "holder", ttlMs: 60_000, waitMs: 0 });
    const refused = await cli(["migrate", "unlock", "--sqlite", db.location]);
    expect(refused.code).toBe(4);
    const forced = await cli(["migrate", "unlock", "--sqlite", db.location, "--force"]);
    expect(forced.out).toMatch(/unlocked \(was held by .+pid \d+\)/);
    await held.beat(true);
    expect(held.isLost).toBe(true);
    await held.release();
    await conn.close();
  });

  it("takes the database from a playbook's environment entry", async () => {
    const { writeFileSync } = await import("node:fs");
    const path = await import("node:path");
    const file = path.join(dir, "pb.yaml");
    writeFileSync(
      file,
      `version: 1\nname: pb\nenvironment:\n  main-db: { provider: sqlite, path: ${JSON.stringify(db.location)} ` +
        `}\nsteps:\n  - id: m\n    action: migrate.run\n    with: { target: main-db, dir: ., phase: expand }\n`,
    );
    const r = await cli(["-o", "json", "migrate", "status", "-f", file, "-t", "main-db", "--dir", dir]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { target: string }).target).toBe(`sqlite:${db.location}`);
  });
});
