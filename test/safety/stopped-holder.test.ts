/**
 * A cutover stopped (SIGSTOP, ^Z, a frozen container) while it holds the environment's lock file
 * must not wedge everyone: the lock is a lease too, lost when its holder does not renew it, so
 * `unlock --force` works; and when the stopped process continues, its writes are refused.
 *
 * Deterministic: the test hook CUTOVER_TEST_STOP_IN_LOCK makes the run SIGSTOP itself while
 * holding its third lease lock (after the lease and the run's first event), and the test waits
 * for the kernel to show it stopped.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, startCli, tmpProject } from "../support/cli.js";
import { waitFor } from "../support/processes.js";

const playbook = `
version: 1
name: frozen
lease: { ttl: 5s }
steps:
  - id: long
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "setTimeout(() => {}, 60000)"] }
`;

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0];
  } catch {
    return undefined;
  }
}

let p: ReturnType<typeof tmpProject>;
beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "playbook.yaml": playbook });
});
afterAll(() => p.cleanup());

describe("a stopped process holding the lease lock", () => {
  it("loses the lock: unlock --force works, and the stopped run's later writes are refused", async () => {
    const run = startCli(["run", "playbook.yaml"], {
      cwd: p.dir,
      json: true,
      env: { CUTOVER_TEST_STOP_IN_LOCK: "lease-frozen.lock#3" },
    });
    const pid = run.child.pid!;
    try {
      await waitFor(() => processState(pid) === "T", 20_000);
      const lockFile = path.join(p.dir, ".cutover", "locks", "lease-frozen.lock");
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid });

      const forced = runCli(["unlock", "frozen", "--force"], { cwd: p.dir });
      expect(forced.stderr).not.toContain("timed out");
      expect(forced.code).toBe(0);
      const leaseFile = path.join(p.dir, ".cutover", "leases", "frozen.json");
      const afterUnlock = readFileSync(leaseFile, "utf8");
      const runId = /journaled in run (\S+)/.exec(forced.stdout)?.[1];
      expect(runId).toBeDefined();
      const journalFile = path.join(p.dir, ".cutover", "runs", `${runId}.jsonl`);
      const journalAfterUnlock = readFileSync(journalFile, "utf8");
      expect(journalAfterUnlock).toContain('"type":"lease.forced"');

      process.kill(pid, "SIGCONT");
      const result = await run.done;
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/no longer ours|was taken over/);
      // Nothing the stale process wrote got in: not the lease file, not the journal.
      expect(readFileSync(leaseFile, "utf8")).toBe(afterUnlock);
      expect(readFileSync(journalFile, "utf8")).toBe(journalAfterUnlock);
    } finally {
      if (processState(pid) !== undefined) {
        process.kill(pid, "SIGCONT");
        process.kill(pid, "SIGKILL");
      }
    }
  }, 60_000);
});
