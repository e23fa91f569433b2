/**
 * The PostgreSQL state store between real processes: appenders racing for the
 * same sequence numbers, agents racing for a lease, a writer killed while it
 * holds the run's row lock, and an agent whose clock is an hour slow (the
 * lease is judged by the database's clock, not the agents').
 */
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { expectCode, startedEvent, uniqueName } from "../store-contract.js";
import {
  APPEND_RACE,
  LEASE_RACE,
  expectEachSeqWonOnce,
  expectOneLeaseWinner,
  storeProcesses,
} from "../support/store-processes.js";
import { pgDatabase } from "./helpers.js";

const db = pgDatabase();

// The first argument: how many ms this process's clock is off (every Date made without arguments, and Date.now()).
const SKEWED_CLOCK = `
const skew = Number(process.argv[2]);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...a) { if (a.length === 0) super(RealDate.now() + skew); else super(...a); }
  static now() { return RealDate.now() + skew; }
};
`;
const STORE = `${SKEWED_CLOCK}
const { PgRunStore } = await import("./src/providers/pg-state/pg-run-store.js");
const [url, ...args] = process.argv.slice(3);
const store = new PgRunStore({ connectionString: url, schema: "cutover" });
`;

const SOURCES = {
  // Append until the journal holds `target` events, each time at the last seq it read.
  appender: `${STORE}
const [runId, me, target] = args;
${APPEND_RACE}
await store.close();
process.exit(0); // stdin, still open, would keep the process alive
`,
  // Try to take the environment's lease once (ttl in ms from argv).
  leaser: `${STORE}
const [env, me, ttlMs] = args;
await store.readLease(env); // connected, tables in place: the race is about the lease alone
${LEASE_RACE}
await store.close();
process.exit(0); // stdin, still open, would keep the process alive
`,
  // Lock a run's row as an append does, then hang until killed.
  rowLocker: `import pg from "pg";
const [url, runId] = process.argv.slice(2);
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query("begin");
await c.query("select last_seq from cutover.state_runs where run_id = $1 for update", [runId]);
console.log("locked");
setInterval(() => undefined, 1000);
`,
};

const { scripts, start, race } = storeProcesses("cutover-pg-mp-", "src/providers/pg-state/pg-run-store.ts", SOURCES);

/** One store process (an appender or leaser) whose clock is `skewMs` off, released at once; its output. */
async function once(script: string, args: string[], skewMs = 0): Promise<string> {
  const child = start(script, [String(skewMs), ...args]);
  await child.waitFor("ready");
  child.proc.stdin!.write("go\n");
  return (await child.done).replace(/^ready\n/, "");
}

describe("PostgreSQL state store across processes", () => {
  it("lets exactly one of several processes win each seq and leaves a valid journal", async () => {
    const runId = uniqueName("race");
    await db.store().append(runId, [startedEvent("prod")], 0);
    const target = 120;
    const outputs = await race(scripts.appender, (i) => ["0", db.url(), runId, `p${i}`, String(target)], 4);
    const events = await db.store().read(runId); // a fresh reader checks every event
    expectEachSeqWonOnce(outputs, events, target);
  });

  it("gives an environment's lease to exactly one of several racing processes", async () => {
    const env = uniqueName("env");
    await db.store().readLease(env); // tables in place before the racers start
    const outputs = await race(scripts.leaser, (i) => ["0", db.url(), env, `p${i}`, "60000"], 4);
    const winner = expectOneLeaseWinner(outputs);
    expect((await db.store().readLease(env))?.holder).toBe(winner);
  });

  it("lets the next writer in once a writer holding the run's row lock is killed", async () => {
    const store = db.store();
    const runId = uniqueName("killed");
    await store.append(runId, [startedEvent("prod")], 0);
    const locker = start(scripts.rowLocker, [db.url(), runId]);
    await locker.waitFor("locked");
    const blocked = store.append(runId, [{ type: "step.started", stepId: "after", attempt: 1 }], 1);
    locker.proc.kill("SIGKILL"); // its session ends, the server rolls its transaction back
    const [event] = await blocked;
    expect(event?.seq).toBe(2);
  });

  it("judges a lease by the database's clock: an agent an hour slow neither shortens nor lengthens it", async () => {
    const env = uniqueName("env");
    const hour = 3_600_000;
    // The slow agent takes a 60 s lease. By its own clock that lease ended 59 minutes ago.
    const taken = JSON.parse(await once(scripts.leaser, [db.url(), env, "slow-agent", "60000"], -hour)) as {
      token: number;
      acquiredAt: string;
    };
    expect(taken.token).toBe(1);
    // The lease was stamped by the database, whose clock is this machine's, not the agent's.
    expect(Math.abs(Date.parse(taken.acquiredAt) - Date.now())).toBeLessThan(hour / 2);
    const e = await expectCode(
      db.store().acquireLease({ environment: env, holder: "on-time", ttlMs: 60_000 }),
      ErrorCode.Locked,
    );
    expect(e.message).toContain("slow-agent");

    // And the other way round: a lease the database says expired is taken by an agent an hour slow.
    const short = await db.store().acquireLease({ environment: uniqueName("env"), holder: "short", ttlMs: 100 });
    await new Promise((r) => setTimeout(r, 200));
    const late = JSON.parse(
      await once(scripts.leaser, [db.url(), short.environment, "slow-taker", "60000"], -hour),
    ) as { token?: number };
    expect(late.token).toBe(short.token + 1);
  });
});
