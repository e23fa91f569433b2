/**
 * `local.deploy`: run a version of the app in a slot of the local environment
 * (the idle one by default), with its own env, and wait until it is healthy.
 * Starts the environment first if it is not running (a release from a clean
 * clone needs no separate `cutover local up`).
 *
 * Idempotent: the supervisor does nothing when that exact deployment already
 * runs healthy in the slot. The slot chosen on the first attempt is
 * checkpointed, so a resumed run deploys into the same slot even though
 * "idle" may mean the other one by then. Undo brings back what the slot ran
 * before (or stops it if it ran nothing).
 */
import path from "node:path";
import { z } from "zod";
import { parseDuration } from "../playbook/duration.js";
import { isCutoverError, ErrorCode } from "../core/errors.js";
import { SlotNameSchema, WorkersConfig, toWorkerSpecs, type AppSpec } from "../core/slots.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { argvField, durationField } from "./support/schemas.js";
import { localSlots, slotsProvider, localTargetField, resolveSlot } from "./local-common.js";
import { recordOrCheckpoint } from "./support/undo-source.js";

const LocalDeployWith = z
  .object({
    target: localTargetField,
    slot: z
      .enum(["idle", "blue", "green"])
      .default("idle")
      .describe(
        "Where to deploy: `idle` (the slot not serving, the default), or `blue`/`green`. Deploying into the live " +
          "slot is refused.",
      ),
    version: z
      .string()
      .min(1)
      .describe("Label of what is deployed (shown by `status`, used by undo), e.g. v2 or a git sha."),
    command: argvField(
      'The app\'s argv, e.g. ["node", "../demo/v2/server.js"]. `node` means the Node binary running cutover. The ' +
        "app must listen on 127.0.0.1:$PORT.",
    ),
    cwd: z
      .string()
      .optional()
      .describe("Working directory of the app, relative to the playbook's directory (the default)."),
    env: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe(
        "Environment variables for the app. Values may come from `${{ secrets.X }}`: they are passed to the app, " +
          "never shown or journaled.",
      ),
    healthPath: z.string().default("/health").describe("Path that answers 2xx when the app is ready."),
    healthTimeout: durationField("How long the app may take to become healthy.").default("30s"),
    workers: WorkersConfig,
  })
  .strict();

/** What the slot ran before the deploy first touched it (null: nothing), for undo. */
const Previous = z.object({ version: z.string() }).nullable();

export const localDeploy = defineAction({
  kind: "local.deploy",
  summary: "Start a version of the app in the idle slot of the local environment and wait until it is healthy.",
  description:
    "Starts the local environment if needed, then runs `command` in the slot with `PORT`, `CUTOVER_SLOT`, " +
    "`CUTOVER_LOCAL_DIR` and the flag-store variables set, and waits until `healthPath` answers 2xx. Outputs `slot`, " +
    "`port`, `url` (the slot's own address, for warm-up checks), `live` (the slot serving when it ran), `publicUrl`, " +
    "`version` and `dir`. Undo brings back the slot's previous deployment, or stops the slot if it had none.",
  with: LocalDeployWith,
  idempotent: true,
  undo: "recorded",
  // Interrupted while starting the app: abort still takes the idle slot back to what it ran (the checkpoint says what).
  undoIncomplete: true,
  provider: slotsProvider,
  describe: (input) =>
    `deploy ${input.version} into the ${input.slot} slot of ${input.target ?? "app"} and wait for ${input.healthPath}`,

  records: z.object({ slot: SlotNameSchema, version: z.string(), previous: Previous }),
  checkpoints: z.object({ slot: SlotNameSchema, live: SlotNameSchema, previous: Previous }),

  async run(input, ctx): Promise<ActionResult> {
    const client = await localSlots(ctx, input.target);
    const status = await client.ensureUp(ctx.signal);
    const prior = ctx.priorCheckpoint;
    const slot = prior?.slot ?? resolveSlot(input.slot, status);
    const before = status.slots[slot];
    // What the slot ran before this step first touched it, kept across attempts for undo.
    const previous = prior ? prior.previous : before.running && before.version ? { version: before.version } : null;
    const live = prior?.live ?? status.live;
    await ctx.checkpoint({ slot, live, previous });

    const spec: AppSpec = {
      version: input.version,
      command: input.command.map(String),
      cwd: path.resolve(ctx.baseDir, input.cwd ?? "."),
      env: Object.fromEntries(Object.entries(input.env ?? {}).map(([k, v]) => [k, String(v)])),
      healthPath: input.healthPath,
      healthTimeoutMs: parseDuration(input.healthTimeout),
      ...toWorkerSpecs(input.workers),
    };
    ctx.log.progress(`starting ${input.version} in ${slot}`);
    let out;
    try {
      out = await client.deploy(slot, spec, ctx.signal);
    } catch (e) {
      if (isCutoverError(e, ErrorCode.Provider))
        throw new ActionFailure(ctx.redact(e.message), { retryable: e.retryable, hint: e.hint, cause: e });
      throw e;
    }
    ctx.log.info(`${input.version} ${out.changed ? "started" : "already running"} in ${slot} on ${out.status.url}`);
    return {
      outputs: {
        slot,
        port: out.status.port,
        url: out.status.url,
        live,
        publicUrl: status.publicUrl,
        version: input.version,
        dir: client.dir,
        changed: out.changed,
      },
      recorded: { slot, version: input.version, previous },
      effect: out.changed
        ? `${input.version} runs in ${slot}${previous ? ` (was ${previous.version})` : ""}`
        : `${input.version} already ran in ${slot}: nothing changed`,
    };
  },

  async undoRun(_input, ctx) {
    // Completed: what it recorded. Interrupted: the checkpoint
    // written before it touched the slot (none: it touched nothing).
    const rec = recordOrCheckpoint(ctx);
    if (!rec) return;
    const slot = rec.slot;
    const client = await localSlots(ctx, _input.target);
    const status = await client.status(ctx.signal);
    if (status.live === slot) {
      throw new ActionFailure(`slot ${slot} is live; swap back before undoing its deploy`, { retryable: false });
    }
    if (rec.previous) {
      ctx.log.info(`bringing back ${rec.previous.version} in ${slot}`);
      await client.revive(slot, rec.previous.version, ctx.signal);
    } else {
      ctx.log.info(`stopping ${slot}`);
      await client.stop(slot, { drainTimeoutMs: 30_000, killAfterMs: 10_000 }, ctx.signal);
    }
  },
});
