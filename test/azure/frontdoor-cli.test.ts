/**
 * The built CLI, SIGKILLed mid-step, then resumed or aborted: a playbook that
 * OneDeploys a package to the staging slot (fake ARM + fake SCM site) and
 * switches a Front Door origin group from blue to green (fake Microsoft.Cdn).
 * Auth is the real AzureCliCredential over a fake `az` on PATH.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, startCli, type CliProcess } from "../support/cli.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { startScmFake, type ScmFake, type ScmSlot } from "./fakes/scm-server.js";
import { startFrontDoorFake, type FrontDoorFake } from "./fakes/frontdoor-server.js";
import { fakeAzCli } from "./fakes/az-cli.js";
import { caBundleFile, testCert } from "./fakes/tls.js";
import { runIdOf } from "./e2e-helpers.js";

let arm: ArmFake;
let scm: ScmFake;
let fd: FrontDoorFake;
let site: ScmSlot;
let az: { dir: string; cleanup(): void };
let dir: string;
let env: NodeJS.ProcessEnv;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

function playbook(): string {
  const cert = testCert().certFile;
  return `version: 1
name: edge-release
environment:
  name: shop-edge
  app:
    provider: azure-appservice
    subscriptionId: 00000000-0000-0000-0000-000000000000
    resourceGroup: rg-shop
    app: shop
    endpoint: ${arm.url}
    caCertFile: ${cert}
    pollIntervalMs: 5
  edge:
    provider: azure-frontdoor
    subscriptionId: 00000000-0000-0000-0000-000000000000
    resourceGroup: rg-shop
    profile: afd-shop
    endpoint: ${fd.url}
    caCertFile: ${cert}
    pollIntervalMs: 5
steps:
  - id: deploy
    action: azure.deploy
    with: { mode: onedeploy, package: shop-v2.zip, previousPackage: shop-v1.zip }
  - id: switch
    action: azure.frontdoor-switch
    with: { originGroup: og-shop, from: blue, to: green }
`;
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
  [arm, scm, fd] = await Promise.all([startArmFake({ sites: false }), startScmFake(), startFrontDoorFake()]);
  az = fakeAzCli();
  dir = mkdtempSync(path.join(os.tmpdir(), "cutover-edge-e2e-"));
  writeFileSync(path.join(dir, "shop-v1.zip"), "PK-v1");
  writeFileSync(path.join(dir, "shop-v2.zip"), "PK-v2");
  env = {
    CUTOVER_AZURE_AUTH: "cli",
    PATH: `${az.dir}${path.delimiter}${process.env.PATH ?? ""}`,
    NODE_EXTRA_CA_CERTS: caBundleFile(testCert()),
    NO_PROXY: "127.0.0.1,localhost",
  };
});
afterAll(async () => {
  await Promise.all([arm?.close(), scm?.close(), fd?.close()]);
  az?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  arm.apps.clear();
  arm.addApp("shop");
  site = await scm.site("shop", "staging");
  site.deployments.length = 0;
  site.posts = 0;
  site.active = sha("PK-v1");
  scm.options.pollsToComplete = 2;
  arm.scmHosts.set("shop/staging", site.host);
  fd.origins.clear();
  fd.holdPatches.clear();
  fd.held = 0;
  fd.addOrigin("og-shop", { name: "blue", priority: 1 });
  fd.addOrigin("og-shop", { name: "green", priority: 2, enabledState: "Disabled" });
  // Each case is its own project: its own state directory, so no open release carries over.
  env.CUTOVER_STATE_DIR = mkdtempSync(path.join(dir, "state-"));
  writeFileSync(path.join(dir, "edge.yaml"), playbook());
});

const PLAYBOOK = () => path.join(dir, "edge.yaml");
const cli = (args: string[]): CliProcess => startCli(args, { cwd: dir, env });

async function until(what: string, cond: () => boolean, run: CliProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} never happened:\n${run.stdout().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function killed(run: CliProcess): Promise<string> {
  run.child.kill("SIGKILL");
  const r = await run.done;
  expect(r.signal).toBe("SIGKILL");
  const runId = runIdOf(r.stdout);
  expect(runId).toBeDefined();
  return runId as string;
}

describe("OneDeploy and Front Door switch through the CLI, killed with SIGKILL", () => {
  it("killed while following the deployment: resume reads its status and never posts the package again", async () => {
    scm.options.pollsToComplete = 1_000_000;
    const run = cli(["run", PLAYBOOK(), "--yes", "--output", "json"]);
    // The deployment's status is being read: its id was checkpointed before the first read.
    await until("the deployment being followed", () => (site.deployments[0]?.polls ?? 0) >= 2, run);
    const runId = await killed(run);
    expect(site.posts).toBe(1);

    scm.options.pollsToComplete = 0; // the deployment finishes at the next read
    const r = await cli(["resume", runId, "-f", PLAYBOOK(), "--yes", "--output", "json"]).done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(site.posts).toBe(1);
    expect(site.active).toBe(sha("PK-v2"));
    expect(fd.origin("og-shop", "blue").enabledState).toBe("Disabled");
  });

  it("killed between the two origin writes: resume writes only blue", async () => {
    fd.holdPatches.add("blue");
    const run = cli(["run", PLAYBOOK(), "--yes", "--output", "json"]);
    await until("blue's PATCH", () => fd.held > 0, run);
    const runId = await killed(run);
    expect(fd.origin("og-shop", "green").enabledState).toBe("Enabled");
    expect(fd.origin("og-shop", "blue").enabledState).toBe("Enabled");

    fd.holdPatches.clear();
    const r = await cli(["resume", runId, "-f", PLAYBOOK(), "--yes", "--output", "json"]).done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(fd.origin("og-shop", "blue").enabledState).toBe("Disabled");
    expect(fd.origin("og-shop", "green").writes).toBe(1);
    expect(site.posts).toBe(1);
  });

  it("killed between the two origin writes, then aborted: green is turned back off and v1 published back", async () => {
    fd.holdPatches.add("blue");
    const run = cli(["run", PLAYBOOK(), "--yes", "--output", "json"]);
    await until("blue's PATCH", () => fd.held > 0, run);
    const runId = await killed(run);
    fd.holdPatches.clear();

    const a = cli(["abort", runId, "-f", PLAYBOOK(), "--yes", "--output", "json", "--reason", "edge test"]);
    const r = await a.done;
    // Every change undone (the interrupted switch from its checkpoint): the environment is back, exit 0.
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(a.events.find((e) => e.type === "result")).toMatchObject({ status: "aborted", leftInPlace: [] });
    expect(fd.origin("og-shop", "green").enabledState).toBe("Disabled");
    expect(fd.origin("og-shop", "blue").enabledState).toBe("Enabled");
    expect(fd.origin("og-shop", "blue").writes).toBe(0);
    expect(site.posts).toBe(2);
    expect(site.active).toBe(sha("PK-v1"));
  });
});
