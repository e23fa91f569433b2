/**
 * `azure.deploy` with `mode: onedeploy`: upload a zip/war/jar/ear to the
 * slot's SCM site (`/api/publish`) and follow the deployment to its end.
 * Python and Java apps on Linux need it: WEBSITE_RUN_FROM_PACKAGE is not
 * supported for them ("Run your app from a ZIP package").
 *
 * Never posts twice for one step: before the POST the step checkpoints the
 * slot's latest deployment id; after it, the new deployment's id. A resumed
 * attempt with an id reads that deployment's status instead of posting; one
 * without (killed between POST and answer) finds the site's latest
 * deployment, and if it is newer than the one recorded before, follows it.
 *
 * Undo: SCM keeps no earlier OneDeploy package to go back to, so undo
 * re-publishes `previousPackage` (the artifact of the release being replaced);
 * a step without one must say `reversible: false` and abort leaves it.
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ActionFailure, type ActionContext, type ActionResult, type UndoContext } from "../core/action.js";
import { CutoverError, ErrorCode } from "../core/errors.js";
import type { Json } from "../core/json.js";
import { formatDuration, parseDuration } from "../core/duration.js";
import {
  deploymentOutcome,
  ScmHttpError,
  type OneDeployClient,
  type OneDeployType,
  type ScmDeployment,
} from "../providers/azure/appservice-onedeploy.js";
import { resolveSlot } from "./azure-common.js";
import { sleep } from "./support/abort.js";

export interface OneDeployInput {
  target: string;
  app?: string;
  slot?: string;
  package?: string;
  type?: OneDeployType;
  targetPath?: string;
  previousPackage?: string;
  deployTimeout: string | number;
}

const Checkpoint = z.object({
  mode: z.literal("onedeploy"),
  app: z.string(),
  slot: z.string(),
  sha256: z.string(),
  /** The slot's latest deployment before the POST (null: none). */
  before: z.string().nullable(),
  deploymentId: z.string().optional(),
});
type Checkpoint = z.infer<typeof Checkpoint>;

export function isOneDeployRecord(v: unknown): boolean {
  return Checkpoint.safeParse(v).success;
}

/** `type` from the file name when the step gives none: war, jar and ear by extension, zip otherwise. */
function typeOf(file: string, given: OneDeployType | undefined): OneDeployType {
  if (given) return given;
  const ext = path.extname(file).toLowerCase().slice(1);
  return ext === "war" || ext === "jar" || ext === "ear" ? ext : "zip";
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest("hex");
}

function packageFile(baseDir: string, given: string, field: string): string {
  const file = path.resolve(baseDir, given);
  let ok = false;
  try {
    ok = statSync(file).isFile();
  } catch {
    /* reported below */
  }
  if (!ok)
    throw new ActionFailure(`${field}: ${file} is not a file`, {
      retryable: false,
      hint: "Build the package before this step; a relative path is relative to the playbook's directory.",
    });
  return file;
}

function scmError(e: unknown, app: string, slot: string): unknown {
  if (!(e instanceof ScmHttpError)) return e;
  const auth = e.status === 401 || e.status === 403;
  return new CutoverError(ErrorCode.Provider, `${app}/${slot} SCM site: ${e.message}`, {
    retryable: !auth && (e.status >= 500 || e.status === 429),
    hint: auth
      ? "The identity needs a role that may deploy to the app (Website Contributor), and the SCM site must accept " +
        "Microsoft Entra tokens."
      : undefined,
    cause: e,
  });
}

type Ctx = Pick<ActionContext, "signal" | "log" | "checkpoint" | "fence">;

/** Poll the deployment until it succeeds (returns), fails (ActionFailure with Kudu's reason) or times out. */
async function follow(
  scm: OneDeployClient,
  where: string,
  id: string,
  timeoutMs: number,
  pollMs: number,
  ctx: Ctx,
): Promise<ScmDeployment> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let d: ScmDeployment | undefined;
    try {
      d = await scm.deployment(id, ctx.signal);
    } catch (e) {
      // A lost connection or a 5xx while the deployment runs on: keep reading until the deadline.
      const transient = !(e instanceof ScmHttpError) || e.status >= 500 || e.status === 429;
      if (ctx.signal.aborted || !transient || Date.now() > deadline) throw e;
      ctx.log.progress(`${where}: reading deployment ${id} failed (${(e as Error).message}); reading again`);
      await sleep(pollMs, ctx.signal);
      continue;
    }
    if (!d) throw new ActionFailure(`${where}: the SCM site no longer knows deployment ${id}`, { retryable: true });
    const outcome = deploymentOutcome(d);
    if (outcome === "succeeded") return d;
    if (outcome === "failed")
      throw new ActionFailure(`${where}: OneDeploy ${id} failed: ${d.statusText || "no reason given"}`, {
        retryable: false,
        hint: "See the deployment log: https://<scm host>/api/deployments/<id>/log, or the app's Deployment Center.",
      });
    if (Date.now() > deadline)
      throw new ActionFailure(
        `${where}: OneDeploy ${id} not finished after ${formatDuration(timeoutMs)} (status ${d.status}` +
          `${d.statusText ? `: ${d.statusText}` : ""})`,
        { retryable: true, hint: "Raise `deployTimeout`, or resume: the step follows the same deployment." },
      );
    ctx.log.progress(`${where}: OneDeploy ${id}: ${d.statusText || `status ${d.status}`}`);
    await sleep(pollMs, ctx.signal);
  }
}

/**
 * Publish `file` unless `prior` shows this package was already posted; follow the deployment either way.
 * `save` checkpoints (run: the step's checkpoint; undo: the undo checkpoint).
 */
async function publishOnce(
  scm: OneDeployClient,
  file: string,
  what: { type: OneDeployType; targetPath?: string },
  base: Omit<Checkpoint, "before" | "deploymentId">,
  prior: Checkpoint | undefined,
  opts: { timeoutMs: number; pollMs: number },
  ctx: Ctx,
): Promise<{ id: string; before: string | null; posted: boolean }> {
  const where = `${base.app}/${base.slot}`;
  let saved = prior;
  if (saved && !saved.deploymentId) {
    // Killed between the POST and its answer: a deployment newer than the one seen before is ours.
    const latest = await scm.deployment("latest", ctx.signal);
    if (latest && latest.id !== saved.before) {
      ctx.log.info(`${where}: following deployment ${latest.id}, posted by an earlier attempt`);
      saved = { ...saved, deploymentId: latest.id };
      await ctx.checkpoint(saved as Json);
    }
  }
  if (saved?.deploymentId) {
    const known = await scm.deployment(saved.deploymentId, ctx.signal);
    const outcome = known ? deploymentOutcome(known) : undefined;
    if (known && outcome !== "failed") {
      if (outcome === "running")
        ctx.log.info(`${where}: following OneDeploy ${known.id} started by an earlier attempt (no second POST)`);
      await follow(scm, where, known.id, opts.timeoutMs, opts.pollMs, ctx);
      return { id: known.id, before: saved.before, posted: false };
    }
    // A deployment that failed is over: a retried step (the cause fixed) publishes again; nothing runs twice.
    ctx.log.warn(
      known
        ? `${where}: OneDeploy ${known.id} of an earlier attempt failed (${known.statusText || "no reason given"}); ` +
            "publishing again"
        : `${where}: the SCM site does not know deployment ${saved.deploymentId} any more; publishing again`,
    );
    saved = { ...saved, before: known ? known.id : saved.before, deploymentId: undefined };
  }
  const before = saved?.before ?? (await scm.deployment("latest", ctx.signal))?.id ?? null;
  const cp: Checkpoint = { ...base, before };
  await ctx.checkpoint(cp as Json);
  // The SCM site cannot check cutover's fencing token: ask the store right before the POST.
  await ctx.fence?.assertHeld();
  const r = await scm.publish(file, what.type, ctx.signal, what.targetPath);
  if (r.conflict !== undefined)
    throw new ActionFailure(`${where}: the SCM site refused the deployment: ${r.conflict}`, {
      retryable: true,
      hint: "Another deployment is running on the slot (the Deployment Center shows whose); retry when it ends.",
    });
  await ctx.checkpoint({ ...cp, deploymentId: r.id } as Json);
  ctx.log.info(`${where}: OneDeploy ${r.id} posted (${what.type}, ${path.basename(file)})`);
  await follow(scm, where, r.id, opts.timeoutMs, opts.pollMs, ctx);
  return { id: r.id, before, posted: true };
}

export async function runOneDeploy(input: OneDeployInput, ctx: ActionContext): Promise<ActionResult> {
  const { client, app, slot } = await resolveSlot(ctx, input);
  const file = packageFile(ctx.baseDir, input.package ?? "", "package");
  const type = typeOf(file, input.type);
  const sha256 = await fileSha256(file);
  const prior = Checkpoint.safeParse(ctx.priorCheckpoint);
  const mine =
    prior.success && prior.data.app === app && prior.data.slot === slot && prior.data.sha256 === sha256
      ? prior.data
      : undefined;
  const opts = { timeoutMs: parseDuration(input.deployTimeout), pollMs: Math.max(client.options.pollIntervalMs, 20) };
  try {
    const scm = await client.scmSite(app, slot, ctx.signal);
    const base = { mode: "onedeploy" as const, app, slot, sha256 };
    const r = await publishOnce(scm, file, { type, targetPath: input.targetPath }, base, mine, opts, ctx);
    ctx.log.info(`${app}/${slot}: OneDeploy ${r.id} succeeded (the slot restarted with the new package)`);
    const recorded: Checkpoint = { ...base, before: r.before, deploymentId: r.id };
    return {
      outputs: { app, slot, changed: true, deploymentId: r.id, previousDeploymentId: r.before, posted: r.posted },
      recorded: recorded as Json,
    };
  } catch (e) {
    throw scmError(e, app, slot);
  }
}

export async function undoOneDeploy(input: OneDeployInput, ctx: UndoContext): Promise<void> {
  const source = Checkpoint.safeParse(ctx.recorded ?? ctx.lastCheckpoint);
  if (!source.success) return; // the attempt wrote no checkpoint: it posted nothing
  const { app, slot } = source.data;
  if (!input.previousPackage) {
    ctx.log.warn(
      `${app}/${slot}: OneDeploy ${source.data.deploymentId ?? "(interrupted)"} left in place: the step is ` +
        "`reversible: false` (no previousPackage to publish back)",
    );
    return;
  }
  const { client } = await resolveSlot(ctx, input);
  const file = packageFile(ctx.baseDir, input.previousPackage, "previousPackage");
  const sha256 = await fileSha256(file);
  const prior = Checkpoint.safeParse(ctx.priorUndoCheckpoint);
  const mine = prior.success && prior.data.sha256 === sha256 ? prior.data : undefined;
  const opts = { timeoutMs: parseDuration(input.deployTimeout), pollMs: Math.max(client.options.pollIntervalMs, 20) };
  try {
    const scm = await client.scmSite(app, slot, ctx.signal);
    const r = await publishOnce(
      scm,
      file,
      { type: typeOf(file, input.type), targetPath: input.targetPath },
      { mode: "onedeploy", app, slot, sha256 },
      mine,
      opts,
      ctx,
    );
    ctx.log.info(`${app}/${slot}: previous package published back (OneDeploy ${r.id})`);
  } catch (e) {
    throw scmError(e, app, slot);
  }
}
