/**
 * azure.deploy `mode: onedeploy` against the fake ARM server and the fake SCM
 * (Kudu) site: publish, follow the deployment status, fail with Kudu's reason,
 * never post twice across a crash, undo publishes the previous package back.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureDeploy } from "../../src/actions/azure-deploy.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { startScmFake, type ScmFake, type ScmSlot } from "./fakes/scm-server.js";
import { armSlots } from "./arm-helpers.js";
import { failureOf, makeContext, makeUndoContext, runAction, undoAction } from "../support/context.js";

let arm: ArmFake;
let scm: ScmFake;
let slots: AppServiceSlots;
let site: ScmSlot;
let dir: string;
let v1: string;
let v2: string;

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

beforeAll(async () => {
  [arm, scm] = await Promise.all([startArmFake({ sites: false }), startScmFake()]);
  slots = await armSlots(arm);
  dir = mkdtempSync(path.join(os.tmpdir(), "cutover-onedeploy-"));
  v1 = path.join(dir, "shop-v1.zip");
  v2 = path.join(dir, "shop-v2.zip");
  writeFileSync(v1, "PK-v1");
  writeFileSync(v2, "PK-v2");
});
afterAll(async () => {
  await Promise.all([arm?.close(), scm?.close()]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  arm.apps.clear();
  arm.addApp("shop");
  site = await scm.site("shop", "staging");
  site.deployments.length = 0;
  site.posts = 0;
  site.active = sha("PK-v1");
  site.failNext = undefined;
  site.failReads = 0;
  scm.options.pollsToComplete = 2;
  scm.options.completesAfterMs = 20_000;
  arm.scmHosts.set("shop/staging", site.host);
});

const providers = () => ({ app: { capabilities: ["appservice"], client: slots } });
const step = { mode: "onedeploy", package: "shop-v2.zip", previousPackage: "shop-v1.zip" };

describe("azure.deploy mode: onedeploy", () => {
  it("publishes the zip to the slot's SCM site, follows it to success and records the deployment id", async () => {
    const { ctx, seen } = makeContext({ providers: providers(), baseDir: dir });
    const res = await runAction(azureDeploy, step, ctx);
    expect(site.posts).toBe(1);
    expect(site.deployments[0]?.type).toBe("zip");
    expect(site.active).toBe(sha("PK-v2"));
    expect(res.outputs).toMatchObject({ app: "shop", slot: "staging", deploymentId: site.deployments[0]?.id });
    // Checkpointed before the POST (no id yet), then with the id the site answered.
    expect(seen.checkpoints).toHaveLength(2);
    expect((seen.checkpoints[0] as { deploymentId?: string }).deploymentId).toBeUndefined();
    expect((seen.checkpoints[1] as { deploymentId?: string }).deploymentId).toBe(site.deployments[0]?.id);
  });

  it("a failed deployment fails the step with the reason the site gives", async () => {
    site.failNext = "Oryx build failed: no matching distribution found for flask==99";
    const { ctx } = makeContext({ providers: providers(), baseDir: dir });
    const e = await failureOf(runAction(azureDeploy, step, ctx));
    expect(e.code).toBe("STEP_FAILED");
    expect(e.message).toMatch(/failed: Oryx build failed: no matching distribution found for flask==99/);
    expect(e.retryable).toBe(false);
    expect(site.active).toBe(sha("PK-v1"));
  });

  it("a retried step whose earlier deployment failed publishes again (the failed one is over)", async () => {
    site.failNext = "Oryx build failed";
    const first = makeContext({ providers: providers(), baseDir: dir });
    await expect(runAction(azureDeploy, step, first.ctx)).rejects.toThrow(/Oryx build failed/);
    const retry = makeContext({
      providers: providers(),
      baseDir: dir,
      attempt: 2,
      priorCheckpoint: first.seen.checkpoints.at(-1) as Json,
    });
    const res = await runAction(azureDeploy, step, retry.ctx);
    expect(site.posts).toBe(2);
    expect(site.active).toBe(sha("PK-v2"));
    expect(res.outputs).toMatchObject({ posted: true, deploymentId: site.deployments[1]?.id });
    expect(retry.seen.warn.join("\n")).toMatch(/earlier attempt failed \(Oryx build failed\); publishing again/);
  });

  it("killed after the deployment id is journaled: the resumed attempt reads its status and posts nothing", async () => {
    scm.options.pollsToComplete = 1000;
    const ac = new AbortController();
    const first = makeContext({ providers: providers(), baseDir: dir, signal: ac.signal });
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(structuredClone(data));
      if ((data as { deploymentId?: string }).deploymentId) setTimeout(() => ac.abort(new Error("killed")), 1);
    };
    await expect(runAction(azureDeploy, step, first.ctx)).rejects.toThrow();
    expect(site.posts).toBe(1);
    scm.options.pollsToComplete = 2;
    const second = makeContext({
      providers: providers(),
      baseDir: dir,
      attempt: 2,
      priorCheckpoint: first.seen.checkpoints.at(-1) as Json,
    });
    const res = await runAction(azureDeploy, step, second.ctx);
    expect(site.posts).toBe(1);
    expect(res.outputs).toMatchObject({ posted: false, deploymentId: site.deployments[0]?.id });
    expect(site.active).toBe(sha("PK-v2"));
  });

  it("killed between the POST and its checkpoint: the resumed attempt follows the site's newer deployment", async () => {
    const first = makeContext({ providers: providers(), baseDir: dir });
    first.ctx.checkpoint = async (data) => {
      if ((data as { deploymentId?: string }).deploymentId) throw new Error("process died before the checkpoint");
      first.seen.checkpoints.push(structuredClone(data));
    };
    await expect(runAction(azureDeploy, step, first.ctx)).rejects.toThrow(/process died/);
    expect(site.posts).toBe(1);
    const second = makeContext({
      providers: providers(),
      baseDir: dir,
      attempt: 2,
      priorCheckpoint: first.seen.checkpoints[0] as Json,
    });
    await runAction(azureDeploy, step, second.ctx);
    expect(site.posts).toBe(1);
    expect(second.seen.info.join("\n")).toMatch(/posted by an earlier attempt/);
    expect(site.active).toBe(sha("PK-v2"));
  });

  it("undo publishes previousPackage back; a resumed undo does not post it twice", async () => {
    const { ctx } = makeContext({ providers: providers(), baseDir: dir });
    const res = await runAction(azureDeploy, step, ctx);
    const undo = makeUndoContext(res.recorded as Json, { providers: providers(), baseDir: dir });
    const undoCheckpoints: Json[] = [];
    undo.ctx.checkpoint = async (d) => void undoCheckpoints.push(structuredClone(d));
    await undoAction(azureDeploy, step, undo.ctx);
    expect(site.active).toBe(sha("PK-v1"));
    expect(site.posts).toBe(2);
    const again = makeUndoContext(res.recorded as Json, { providers: providers(), baseDir: dir });
    await undoAction(azureDeploy, step, { ...again.ctx, priorUndoCheckpoint: undoCheckpoints.at(-1) });
    expect(site.posts).toBe(2);
  });

  it("refuses a step that can neither be undone nor says so, and marks `reversible: false` irreversible", () => {
    const bad = azureDeploy.with.safeParse({ mode: "onedeploy", package: "app.jar" });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/previousPackage.*reversible: false/);
    const ok = azureDeploy.with.parse({ mode: "onedeploy", package: "app.jar", reversible: false });
    expect(azureDeploy.undoFor?.(ok)).toBe("irreversible");
    expect(azureDeploy.undoFor?.(azureDeploy.with.parse(step))).toBe("recorded");
  });

  it("another deployment running on the slot: the site's 409 fails the step with its reason, nothing deployed", async () => {
    scm.options.pollsToComplete = 1_000_000;
    const other = { id: "someone-else", type: "zip", sha256: "x", status: 1, statusText: "", polls: 0 };
    site.deployments.push({ ...other, startedAt: Date.now() });
    const { ctx } = makeContext({ providers: providers(), baseDir: dir });
    const e = await failureOf(runAction(azureDeploy, step, ctx));
    expect(e.message).toMatch(/refused the deployment: There is a deployment currently in progress/);
    expect(site.active).toBe(sha("PK-v1"));
  });

  it("sends `type` and `targetPath` as the publish query; `reversible: false` deploys without previousPackage", async () => {
    const { ctx } = makeContext({ providers: providers(), baseDir: dir });
    const input = {
      mode: "onedeploy",
      package: "shop-v2.zip",
      type: "static",
      targetPath: "/home/site/wwwroot/app.json",
    };
    await runAction(azureDeploy, { ...input, reversible: false }, ctx);
    expect(site.deployments[0]).toMatchObject({ type: "static", path: "/home/site/wwwroot/app.json" });
  });

  it("status reads that fail with 503 while the deployment runs are read again, not a failed step", async () => {
    site.failReads = 2;
    const { ctx, seen } = makeContext({ providers: providers(), baseDir: dir });
    await runAction(azureDeploy, step, ctx);
    expect(site.failReads).toBe(0);
    expect(site.posts).toBe(1);
    expect(site.active).toBe(sha("PK-v2"));
    expect(seen.progress.map((p) => p.message).join("\n")).toMatch(/HTTP 503.*reading again/);
  });

  it("a missing package file fails before anything is posted", async () => {
    const { ctx } = makeContext({ providers: providers(), baseDir: dir });
    const e = await failureOf(runAction(azureDeploy, { ...step, package: "missing.war" }, ctx));
    expect(e.message).toMatch(/missing\.war is not a file/);
    expect(site.posts).toBe(0);
  });
});
