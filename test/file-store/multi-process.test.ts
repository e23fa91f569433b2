/**
 * The file store between real processes: appenders racing for the same
 * sequence numbers, a lock holder killed with SIGKILL, leases and flags
 * contended from several processes.
 */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { FileStore } from "../../src/providers/file/index.js";
import { expectCode, startedEvent } from "../store-contract.js";
import { runNode, type Child } from "../support/processes.js";
import { transpileClosure } from "../support/transpile.js";
import { tempDir } from "./helpers.js";

let work: { dir: string; cleanup(): Promise<void> };
let scripts: Record<"appender" | "holder" | "leaser" | "incrementer" | "looper", string>;
const children: Child[] = [];

const STORE_IMPORT = `import { FileStore } from "./src/providers/file/file-store.js";`;

const SOURCES = {
  // Append until the journal holds `target` events, each time at the last seq it read.
  appender: `${STORE_IMPORT}
const [dir, runId, me, target] = process.argv.slice(2);
const store = new FileStore({ dir });
console.log("ready");
await new Promise((r) => process.stdin.once("data", r));
const wins = [];
let conflicts = 0;
for (;;) {
  const last = (await store.read(runId)).length;
  if (last >= Number(target)) break;
  try {
    const [e] = await store.append(runId, [{ type: "step.started", stepId: me, attempt: last + 1 }], last);
    wins.push(e.seq);
  } catch (e) {
    if (e.code !== "JOURNAL_CONFLICT") throw e;
    conflicts++;
  }
}
console.log(JSON.stringify({ me, wins, conflicts }));
process.exit(0);
`,
  // Append large events forever (until killed), printing "started" after the first.
  looper: `${STORE_IMPORT}
const [dir, runId] = process.argv.slice(2);
const store = new FileStore({ dir });
let seq = (await store.read(runId)).length;
const pad = "x".repeat(64 * 1024);
for (;;) {
  await store.append(runId, [{ type: "step.checkpoint", stepId: "loop", attempt: 1, data: { pad } }], seq++);
  if (seq === 2) console.log("started");
}
`,
  // Take a lock file and hold it until killed.
  holder: `import { acquireFileLock } from "./src/providers/file/file-lock.js";
await acquireFileLock(process.argv[2]);
console.log("locked");
setInterval(() => undefined, 1000);
`,
  // Try to take the environment's lease once.
  leaser: `${STORE_IMPORT}
const [dir, env, me] = process.argv.slice(2);
const store = new FileStore({ dir });
console.log("ready");
await new Promise((r) => process.stdin.once("data", r));
try {
  const lease = await store.acquireLease({ environment: env, holder: me, runId: me, ttlMs: 60000 });
  console.log(JSON.stringify({ me, token: lease.token }));
} catch (e) {
  console.log(JSON.stringify({ me, error: e.code, message: e.message }));
}
process.exit(0);
`,
  // Increment a counter flag n times with conditional writes, retrying on conflicts.
  incrementer: `${STORE_IMPORT}
const [dir, n] = process.argv.slice(2);
const store = new FileStore({ dir });
console.log("ready");
await new Promise((r) => process.stdin.once("data", r));
let retries = 0;
for (let i = 0; i < Number(n); i++) {
  for (;;) {
    const { value, etag } = await store.get("counter");
    try {
      await store.set("counter", value + 1, { ifEtag: etag });
      break;
    } catch (e) {
      if (e.code !== "PROVIDER_ERROR") throw e;
      retries++;
    }
  }
}
console.log(JSON.stringify({ retries }));
process.exit(0);
`,
};

beforeAll(async () => {
  work = await tempDir("cutover-mp-");
  transpileClosure(["src/providers/file/file-store.ts"], work.dir);
  scripts = {} as typeof scripts;
  for (const [name, source] of Object.entries(SOURCES)) {
    const file = path.join(work.dir, `${name}.mjs`);
    await writeFile(file, source);
    scripts[name as keyof typeof scripts] = file;
  }
});

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  await work?.cleanup();
});

function start(script: string, args: string[]): Child {
  const child = runNode(script, args);
  children.push(child);
  return child;
}

/** Start `n` children, then release them together (stdin) once each says it is ready, so they race. */
async function race(script: string, argsOf: (i: number) => string[], n: number): Promise<string[]> {
  const group = Array.from({ length: n }, (_, i) => start(script, argsOf(i)));
  await Promise.all(group.map((c) => c.waitFor("ready"))); // each has loaded the store and waits
  for (const c of group) c.proc.stdin!.write("go\n");
  return Promise.all(group.map(async (c) => (await c.done).replace(/^ready\n/, "")));
}

describe("file store across processes", () => {
  it("lets exactly one of several processes win each seq and leaves a valid journal", async () => {
    const dir = path.join(work.dir, "race");
    const store = new FileStore({ dir });
    await store.append("race", [startedEvent("prod")], 0);
    // Start from a lock left by a dead process: the racers must also agree on breaking it.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    await writeFile(
      path.join(dir, "locks", "run-race.lock"),
      JSON.stringify({ pid: dead, host: os.hostname(), at: Date.now(), nonce: "dead" }),
    );
    const target = 120;
    const outputs = await race(scripts.appender, (i) => [dir, "race", `p${i}`, String(target)], 4);
    const results = outputs.map((o) => JSON.parse(o) as { me: string; wins: number[]; conflicts: number });

    const claimed = results.flatMap((r) => r.wins).sort((a, b) => a - b);
    expect(claimed).toEqual(Array.from({ length: target - 1 }, (_, i) => i + 2)); // each seq won exactly once
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0); // they really raced

    const events = await new FileStore({ dir }).read("race"); // a fresh reader checks every line
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: target }, (_, i) => i + 1));
    for (const r of results) {
      for (const seq of r.wins)
        expect(events[seq - 1]).toMatchObject({ seq, type: "step.started", stepId: r.me, attempt: seq });
    }
  });

  it("does not stay blocked by a lock whose holder was killed with SIGKILL", async () => {
    const dir = path.join(work.dir, "killed");
    const store = new FileStore({ dir, lock: { timeoutMs: 500 } });
    await store.append("r1", [startedEvent("prod")], 0);
    const holder = start(scripts.holder, [path.join(dir, "locks", "run-r1.lock")]);
    await holder.waitFor("locked");

    // While the holder lives, appenders wait and then give up, naming it.
    const e = await expectCode(
      store.append("r1", [{ type: "step.started", stepId: "after", attempt: 1 }], 1),
      ErrorCode.Provider,
    );
    expect(e.message).toContain(`pid ${holder.proc.pid}`);

    holder.proc.kill("SIGKILL");
    await new Promise((r) => holder.proc.once("exit", r));
    const [event] = await store.append("r1", [{ type: "step.started", stepId: "after", attempt: 1 }], 1);
    expect(event?.seq).toBe(2);
  });

  it("lets the next writer continue a journal whose writer was SIGKILLed mid-stream", async () => {
    const dir = path.join(work.dir, "looped");
    const store = new FileStore({ dir, lock: { timeoutMs: 5_000 } });
    await store.append("loop", [startedEvent("prod")], 0);
    const looper = start(scripts.looper, [dir, "loop"]);
    await looper.waitFor("started");
    await new Promise((r) => setTimeout(r, 150));
    looper.proc.kill("SIGKILL");
    await new Promise((r) => looper.proc.once("exit", r));

    const events = await new FileStore({ dir }).read("loop");
    expect(events.length).toBeGreaterThan(1);
    const [next] = await store.append("loop", [{ type: "step.started", stepId: "after", attempt: 1 }], events.length);
    expect(next?.seq).toBe(events.length + 1);
    expect((await new FileStore({ dir }).read("loop")).at(-1)).toMatchObject({ stepId: "after" });
  });

  it("gives an environment's lease to exactly one of several racing processes", async () => {
    const dir = path.join(work.dir, "lease");
    const outputs = await race(scripts.leaser, (i) => [dir, "prod", `p${i}`], 4);
    const results = outputs.map(
      (o) => JSON.parse(o) as { me: string; token?: number; error?: string; message?: string },
    );
    const winners = results.filter((r) => r.token !== undefined);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.token === undefined)) {
      expect(loser.error).toBe(ErrorCode.Locked);
      expect(loser.message).toContain(winners[0]!.me);
    }
    expect((await new FileStore({ dir }).readLease("prod"))?.holder).toBe(winners[0]!.me);
  });

  it("loses no flag update when processes increment a flag with conditional writes", async () => {
    const dir = path.join(work.dir, "flags");
    await new FileStore({ dir }).set("counter", 0); // conditional writes need something to be conditional on
    const outputs = await race(scripts.incrementer, () => [dir, "15"], 3);
    expect(outputs).toHaveLength(3);
    expect((await new FileStore({ dir }).get("counter")).value).toBe(45);
  });
});
