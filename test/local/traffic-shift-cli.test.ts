/**
 * traffic.shift on the local proxy through the built CLI: SIGKILL during the
 * bake at 10 % leaves the proxy splitting (the weight is the supervisor's, not
 * the dead process's) and `resume` finishes the shift; a bake check that fails
 * puts the new slot back to 0 % and pauses, and `abort` stops the new version.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalClient } from "../../src/providers/local/client.js";
import { ROOT, startCli, tmpProject } from "../support/cli.js";
import { runIdOf } from "../azure/e2e-helpers.js";
import { destroyLocal, ensureBuilt } from "./env.js";

const PLAYBOOK = `version: 1
name: local-canary
environment:
  name: local-canary
  state: { provider: file }
  app: { provider: local }
params:
  bakeFor: { type: string, default: 100ms }
  checkPath: { type: string, default: /health }
steps:
  - id: deploy
    action: local.deploy
    with: { version: v2, command: ["node", "${path.join(ROOT, "demo/v2/server.js")}"], healthTimeout: 30s }
  - id: shift
    action: traffic.shift
    with:
      to: \${{ steps.deploy.outputs.slot }}
      steps: [10, 50, 100]
      bake:
        duration: \${{ params.bakeFor }}
        interval: 100ms
        check: { http: { url: "\${{ steps.deploy.outputs.url }}\${{ params.checkPath }}", deadline: 0s } }
`;

const projects: { dir: string; cleanup(): void }[] = [];
beforeAll(() => ensureBuilt());
afterAll(async () => {
  for (const p of projects) {
    await destroyLocal(path.join(p.dir, "state", "local"));
    p.cleanup();
  }
});

function project() {
  const p = tmpProject({ "canary.yaml": PLAYBOOK });
  projects.push(p);
  const stateDir = path.join(p.dir, "state");
  fs.mkdirSync(stateDir);
  const client = new LocalClient({ dir: path.join(stateDir, "local") });
  const cli = (args: string[]) => startCli(args, { cwd: p.dir, stateDir });
  return { client, cli };
}

/** `n` GETs through the public port; how many the green slot answered. */
async function greenShare(client: LocalClient, n: number): Promise<number> {
  const url = `${(await client.status()).publicUrl}/health`;
  let green = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.headers.get("x-cutover-slot") === "green") green++;
  }
  return green;
}

describe("traffic.shift on the local proxy through the CLI", () => {
  it("SIGKILL during the 10 % bake: the proxy keeps splitting; resume finishes at 100 %", async () => {
    const { client, cli } = project();
    const run = cli(["run", "canary.yaml", "--yes", "--output", "json", "--param", "bakeFor=8s"]);
    const deadline = Date.now() + 60_000;
    while ((await client.status().catch(() => undefined))?.canary?.percent !== 10) {
      if (Date.now() > deadline) throw new Error("never reached 10 %: " + run.stdout().slice(-2000));
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    const share = await greenShare(client, 200);
    expect(share).toBeGreaterThanOrEqual(4);
    expect(share).toBeLessThanOrEqual(50);

    // The resumed step finds 10 % as journaled, bakes what is left of its window, then goes on to 50 and 100 %.
    const runId = runIdOf(killed.stdout) as string;
    const resumed = await cli(["resume", runId, "--yes", "--output", "json"]).done;
    expect(resumed.code, resumed.stderr + resumed.stdout.slice(-3000)).toBe(0);
    const status = await client.status();
    expect(status.live).toBe("green");
    expect(status.canary).toBeUndefined();
  }, 180_000);

  it("a failing bake check shifts green back to 0 % and pauses; abort stops green, blue serves", async () => {
    const { client, cli } = project();
    const r = await cli(["run", "canary.yaml", "--yes", "--output", "json", "--param", "checkPath=/nothing-here"]).done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(3);
    expect(r.stdout).toMatch(/bake check failed with green at 10 %/);
    let status = await client.status();
    expect(status.live).toBe("blue");
    expect(status.canary).toBeUndefined();
    expect(await greenShare(client, 50)).toBe(0);

    const runId = runIdOf(r.stdout) as string;
    const a = await cli(["abort", runId, "--yes", "--output", "json", "--reason", "green fails"]).done;
    expect([0, 1], a.stderr + a.stdout.slice(-3000)).toContain(a.code);
    status = await client.status();
    expect(status.live).toBe("blue");
    expect(status.slots.green.running).toBe(false);
  }, 120_000);
});
