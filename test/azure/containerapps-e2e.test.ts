/**
 * playbooks/azure-containerapps.yaml through the built CLI against the fakes:
 * Azurite (journal, lease), the Container Apps ARM fake and the Log Analytics
 * query fake, with the real SDKs and a stand-in `az` for the token. A release
 * end to end; SIGKILL during the 10 % bake, then resume; a new revision whose
 * failure rate trips the Monitor gate (shifted back to 0 %), then abort.
 *
 * The query fake answers the failure-rate query as Application Insights would
 * with requests spread by the traffic weights: the percent of the traffic on
 * revisions the test marks as failing under real traffic (`failingInProduction`;
 * their own host still answers the warm-up).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { startContainerAppsFake, type ContainerAppsFake } from "./fakes/containerapps-server.js";
import { startMonitorQueryFake, rateAnswer, type MonitorQueryFake } from "./fakes/monitor-query-server.js";
import { effectiveWeights } from "./fakes/containerapps-model.js";
import { fakeAzCli } from "./fakes/az-cli.js";
import { caBundleFile, testCert } from "./fakes/tls.js";
import { ROOT, startCli, type CliProcess } from "../support/cli.js";
import { runIdOf } from "./e2e-helpers.js";

const PLAYBOOK = path.join(ROOT, "playbooks/azure-containerapps.yaml");
const WORKSPACE = "5f3e1d2c-0000-4000-8000-000000000002";
const APP = "shop-api";
const V1 = `${APP}--v1`;
const V2 = `${APP}--v2`;

let azurite: Azurite;
let arm: ContainerAppsFake;
let monitor: MonitorQueryFake;
let az: ReturnType<typeof fakeAzCli>;
let dir: string;
let env: NodeJS.ProcessEnv;
const failingInProduction = new Set<string>();

beforeAll(async () => {
  [azurite, arm, monitor] = await Promise.all([
    startAzurite(),
    startContainerAppsFake(),
    startMonitorQueryFake(WORKSPACE),
  ]);
  az = fakeAzCli();
  dir = mkdtempSync(path.join(os.tmpdir(), "cutover-aca-e2e-"));
  env = {
    ...process.env,
    NO_COLOR: "1",
    CI: "true",
    CUTOVER_STATE_DIR: path.join(dir, "state"),
    AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
    CUTOVER_ARM_ENDPOINT: arm.url,
    CUTOVER_MONITOR_ENDPOINT: monitor.url,
    CUTOVER_STORAGE_CONNECTION_STRING: azurite.connectionString,
    CUTOVER_AZURE_AUTH: "cli",
    PATH: `${az.dir}${path.delimiter}${process.env.PATH ?? ""}`,
    NODE_EXTRA_CA_CERTS: caBundleFile(testCert()),
    NO_PROXY: "127.0.0.1,localhost",
  };
  // Application Insights as the weights would fill it: the share of traffic on revisions answering errors.
  monitor.respond = () => {
    const app = arm.apps.get(APP);
    let failing = 0;
    for (const [rev, w] of app ? effectiveWeights(app) : []) if (failingInProduction.has(rev)) failing += w;
    return rateAnswer(failing, 1000);
  };
}, 120_000);
afterAll(async () => {
  await Promise.all([azurite?.stop(), arm?.close(), monitor?.close()]);
  az?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  arm.apps.clear();
  arm.requests.length = 0;
  arm.updates.length = 0;
  arm.addApp(APP);
  failingInProduction.clear();
});

const params = (...extra: string[]) =>
  [
    "image=shop.azurecr.io/shop:2.0.0",
    "revisionSuffix=v2",
    `app=${APP}`,
    `workspaceId=${WORKSPACE}`,
    "pollIntervalMs=5",
    "warmupTimeout=10s",
    "bakeFor=50ms",
    "checkInterval=10ms",
    ...extra,
  ].flatMap((p) => ["--param", p]);
const cli = (args: string[]): CliProcess => startCli(args, { cwd: dir, env });
/** The weight of v2 after each update the app accepted. */
const v2Weights = () =>
  arm.updates.map((t) => t.filter((e) => e.revisionName === V2).reduce((s, e) => s + (e.weight ?? 0), 0));
const traffic = () => arm.apps.get(APP)!.ingress.traffic;

describe("azure-containerapps playbook through the CLI", () => {
  it("validates, then releases: revision at 0 %, warm-up on its host, 10 → 50 → 100 with the Monitor gate", async () => {
    const v = await cli(["validate", PLAYBOOK]).done;
    expect(v.code, v.stderr).toBe(0);
    const r = await cli(["run", PLAYBOOK, "--yes", "--output", "json", ...params()]).done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(v2Weights()).toEqual([0, 10, 50, 100]);
    expect(traffic()).toEqual([{ revisionName: V2, weight: 100, label: "green" }]);
    expect(arm.apps.get(APP)!.revisions.get(V2)!.requests).toBeGreaterThan(0); // warmed on its own host
    // Bakes after 10 and 50 %, and the final verification, each asked Monitor for the failure rate.
    expect(monitor.queries.length).toBeGreaterThanOrEqual(3);
    expect(monitor.queries[0]!.query).toContain(`AppRoleName == '${APP}'`);
  }, 120_000);

  it("SIGKILL during the bake at 10 %, then resume: continues at 50 % without writing 10 % again", async () => {
    const run = cli(["run", PLAYBOOK, "--yes", "--output", "json", ...params("bakeFor=6s", "checkInterval=500ms")]);
    const deadline = Date.now() + 60_000;
    while (!v2Weights().includes(10)) {
      if (Date.now() > deadline) throw new Error("the shift never reached 10 %: " + run.stdout().slice(-2000));
      await new Promise((r) => setTimeout(r, 5));
    }
    run.child.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(effectiveWeights(arm.apps.get(APP)!).get(V2)).toBe(10);
    const runId = runIdOf(killed.stdout) as string;
    expect(runId).toBeDefined();

    const resumed = await cli(["resume", runId, "-f", PLAYBOOK, "--yes", "--output", "json"]).done;
    expect(resumed.code, resumed.stderr + resumed.stdout.slice(-3000)).toBe(0);
    expect(v2Weights()).toEqual([0, 10, 50, 100]);
    expect(arm.apps.get(APP)!.revisions.size).toBe(2);
  }, 120_000);

  it("a failing new revision trips the Monitor gate at 10 %: back to 0 %, paused; abort restores v1 and deactivates v2", async () => {
    failingInProduction.add(V2);
    const r = cli(["run", PLAYBOOK, "--yes", "--output", "json", ...params()]);
    const paused = await r.done;
    expect(paused.code, paused.stderr + paused.stdout.slice(-3000)).toBe(3);
    expect(paused.stdout).toMatch(/bake check failed with shop-api--v2 at 10 %/);
    expect(v2Weights()).toEqual([0, 10, 0]);
    expect(arm.apps.get(APP)!.revisions.get(V2)!.requests).toBeGreaterThan(0); // the warm-up passed first
    expect(effectiveWeights(arm.apps.get(APP)!).get(V1)).toBe(100);

    const runId = runIdOf(paused.stdout) as string;
    const a = await cli(["abort", runId, "-f", PLAYBOOK, "--yes", "--output", "json", "--reason", "v2 fails"]).done;
    expect([0, 1], a.stderr + a.stdout.slice(-3000)).toContain(a.code);
    expect(traffic()).toEqual([{ revisionName: V1, weight: 100 }]);
    expect(arm.apps.get(APP)!.revisions.get(V2)!.active).toBe(false);
  }, 120_000);
});
