/**
 * The file store between real processes: appenders racing for the same
 * sequence numbers, a lock holder killed with SIGKILL, leases and flags
 * contended from several processes.
 */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { FileStore } from "../../src/providers/file/index.js";
import { expectCode, startedEvent } from "../store-contract.js";
import {
  APPEND_RACE,
  LEASE_RACE,
  expectEachSeqWonOnce,
  expectOneLeaseWinner,
  storeProcesses,
} from "../support/store-processes.js";

const STORE_IMPORT = `import { FileStore } from "./src/providers/file/file-store.js";`;

const SOURCES = {
  // Append until the journal holds `target` events, each time at the last seq it read.
  appender: `${STORE_IMPORT}
const [dir, runId, me, target] = process.argv.slice(2);
const store = new FileStore({ dir });
${APPEND_RACE}
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
const [dir, env, me, ttlMs] = process.argv.slice(2);
const store = new FileStore({ dir });
${LEASE_RACE}
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

const {
  dir: workDir,
  scripts,
  start,
  race,
} = storeProcesses("cutover-mp-", "src/providers/file/file-store.ts", SOURCES);

describe("file store across processes", () => {
  it("lets exactly one of several processes win each seq and leaves a valid journal", async () => {
    const dir = path.join(workDir(), "race");
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
    const events = await new FileStore({ dir }).read("race"); // a fresh reader checks every line
    expectEachSeqWonOnce(outputs, events, target);
  });

  it("does not stay blocked by a lock whose holder was killed with SIGKILL", async () => {
    const dir = path.join(workDir(), "killed");
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
    const dir = path.join(workDir(), "looped");
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
    const dir = path.join(workDir(), "lease");
    const outputs = await race(scripts.leaser, (i) => [dir, "prod", `p${i}`, "60000"], 4);
    const winner = expectOneLeaseWinner(outputs);
    expect((await new FileStore({ dir }).readLease("prod"))?.holder).toBe(winner);
  });

  it("loses no flag update when processes increment a flag with conditional writes", async () => {
    const dir = path.join(workDir(), "flags");
    await new FileStore({ dir }).set("counter", 0); // conditional writes need something to be conditional on
    const outputs = await race(scripts.incrementer, () => [dir, "15"], 3);
    expect(outputs).toHaveLength(3);
    expect((await new FileStore({ dir }).get("counter")).value).toBe(45);
  });
});
