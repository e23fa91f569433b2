/**
 * What the PostgreSQL state store adds to the contract suite: a row edited by
 * hand is refused where it was edited, the URL's password never shows in an
 * error, and tables a DBA created beforehand are used as they are by a user
 * who may not create anything.
 */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { PgRunStore } from "../../src/providers/pg-state/index.js";
import { expectCode, startedEvent, stepStarted, uniqueName } from "../store-contract.js";
import { pgDatabase } from "./helpers.js";

const db = pgDatabase();

async function sql(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: db.url() });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

describe("PostgreSQL state store", () => {
  it("refuses a journal edited by hand, naming the run and the seq", async () => {
    const store = db.store();
    const runId = uniqueName("run");
    await store.append(runId, [startedEvent("prod"), stepStarted("deploy"), stepStarted("verify")], 0);
    await sql(
      `update cutover.state_events set event = json_build_object('seq', 2, 'at', '2026-01-01T00:00:00.000Z',
         'runId', $1::text, 'type', 'step.started', 'stepId', 'renamed', 'attempt', 1) where run_id = $1 and seq = 2`,
      [runId],
    );
    const e = await expectCode(store.read(runId), ErrorCode.JournalCorrupt);
    expect(e.message).toContain(runId);
    expect(e.message).toContain("seq 2");
    expect(e.message).toContain("never planned");
    await sql(`delete from cutover.state_events where run_id = $1 and seq = 2`, [runId]);
    expect((await expectCode(store.read(runId), ErrorCode.JournalCorrupt)).message).toContain("where 2 was expected");
  });

  it("names the database without the password when it cannot connect", async () => {
    const url = new URL(db.url());
    url.password = "hunter2-not-shown";
    url.port = "1";
    const store = new PgRunStore({ connectionString: url.toString(), schema: "cutover" });
    try {
      const e = await expectCode(store.listRuns(), ErrorCode.Provider);
      expect(e.message).toContain("postgres://postgres@127.0.0.1:1/");
      expect(
        JSON.stringify({ message: e.message, hint: e.hint, details: (e as { details?: unknown }).details }),
      ).not.toContain("hunter2");
    } finally {
      await store.close();
    }
  });

  it("uses tables created beforehand with a user that may only read and write them", async () => {
    await db.store("shared").listRuns(); // creates schema "shared" and its tables, as a DBA would
    const role = uniqueName("agent").replace("-", "_");
    await sql(`create role ${role} login`);
    await sql(
      `grant usage on schema shared to ${role}; grant select, insert, update on all tables in schema shared to ${role}`,
    );
    const url = new URL(db.url());
    url.username = role;
    const store = new PgRunStore({ connectionString: url.toString(), schema: "shared" });
    try {
      const lease = await store.acquireLease({ environment: "prod", holder: "agent", ttlMs: 60_000 });
      const runId = uniqueName("run");
      await store.append(runId, [startedEvent("prod")], 0, { environment: "prod", token: lease.token });
      expect((await store.read(runId)).map((e) => e.type)).toEqual(["run.started"]);
      await store.releaseLease(lease);
      // Without the tables, that user cannot create them: a clear PROVIDER_ERROR, not a hang or a crash.
      const bare = new PgRunStore({ connectionString: url.toString(), schema: "nowhere" });
      const e = await expectCode(bare.listRuns(), ErrorCode.Provider).finally(() => bare.close());
      expect(e.message).toMatch(/permission denied/);
    } finally {
      await store.close();
      await sql(`drop owned by ${role}; drop role ${role}`);
    }
  });
});
