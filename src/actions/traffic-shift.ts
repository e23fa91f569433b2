/**
 * `traffic.shift`: move traffic to a new version in steps (e.g. 10 → 50 → 100 %)
 * on any TrafficSplit router (the local proxy's slots, a Container App's
 * revisions, App Service's routing rules to its slots), baking between steps
 * with a check (an HTTP probe or an Azure Monitor gate). A failed bake shifts the new version back to 0 % (journaled)
 * and fails the step; the playbook's pause/abort applies as usual.
 *
 * Resumable (docs/design.md invariant 4): every weight is checkpointed before
 * it is written and after it is applied, and the router's observed split is
 * re-read before each write. Observed = the step's target: it landed before a
 * crash, journal it; observed = the last weights this step wrote: write the
 * next; anything else was changed by someone else, and the step refuses unless
 * `takeOverChangedTraffic` gives the reason to override it (journaled).
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import {
  ActionFailure,
  defineAction,
  type ActionContext,
  type ActionResult,
  type UndoContext,
} from "../core/action.js";
import {
  TrafficSplit,
  describeWeights,
  normaliseWeights,
  resolveBackend,
  sameWeights,
  type TrafficSplitClient,
  type TrafficSplitState,
  type Weights,
} from "../core/traffic.js";
import type { Json } from "../core/json.js";
import { sleep } from "./support/abort.js";
import { durationField } from "./support/schemas.js";
import { BakeCheck, describeBake, runBakeCheck } from "./traffic-bake.js";
import { MonitorLogs } from "../providers/azure/monitor-provider.js";

const DEFAULT_TARGET = "app";

const WeightsSchema = z.record(z.string(), z.number().int().min(0).max(100));

const TrafficShiftWith = z
  .object({
    target: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The environment entry that routes the traffic (a provider offering `traffic-split`: `local`, " +
          "`azure-containerapps`). Default: `app`.",
      ),
    app: z
      .string()
      .min(1)
      .optional()
      .describe("Which router of the entry: the Container App's name (default: the entry's `app`)."),
    to: z
      .string()
      .min(1)
      .describe(
        "The new version: a slot (`blue`, `green`, `idle`), a Container Apps revision name or label (`green`).",
      ),
    from: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The version traffic moves away from. Default: the backend with the most traffic when the step starts.",
      ),
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .refine(
        (s) => s.every((v, i) => i === 0 || v > (s[i - 1] ?? 0)),
        "steps must increase (percent of the new version)",
      )
      .describe("Percents of the traffic the new version gets, in order, e.g. [10, 50, 100]."),
    bake: z
      .object({
        duration: durationField("How long each step (but the last) is watched before the next.").default("1m"),
        interval: durationField("Pause between two checks during a bake.").default("10s"),
        check: BakeCheck.optional(),
      })
      .strict()
      .default({ duration: "1m", interval: "10s" })
      .describe("Between steps: watch the new weights; a failed check shifts the new version back to 0 %."),
    takeOverChangedTraffic: z
      .string()
      .min(1)
      .optional()
      .describe(
        "DANGER: the reason to override a split that someone else changed since this step last wrote it (the " +
          "step refuses otherwise). Journaled with the step.",
      ),
  })
  .strict();

type Input = z.infer<typeof TrafficShiftWith>;

const Checkpoint = z.object({
  from: z.string(),
  to: z.string(),
  /** The split when the step began: undo puts it back. */
  previous: WeightsSchema,
  /** The weights this step last saw applied. */
  current: WeightsSchema,
  /** Index in `steps` of the last weight applied (-1: none yet, or shifted back). */
  applied: z.number().int(),
  /** Index in `steps` of the last weight whose bake passed. */
  baked: z.number().int(),
  /** When the bake after step `applied` ends (resume bakes the rest of the window). */
  bakeUntil: z.string().optional(),
  /** Why a failed bake shifted the new version back. */
  shiftedBack: z.string().optional(),
  override: z.string().optional(),
});
type Checkpoint = z.infer<typeof Checkpoint>;

const Record_ = z.object({ from: z.string(), to: z.string(), previous: WeightsSchema, final: WeightsSchema });

export const trafficShift = defineAction({
  kind: "traffic.shift",
  summary: "Shift traffic to a new version in weighted steps, baking with a check between; shift back if it fails.",
  description:
    "Works on the local proxy (slots), Azure Container Apps (revisions, by name or label) and App Service " +
    "routing rules (slots). Each weight is checkpointed, so a resumed run continues from the last weight " +
    "applied. A failed bake check puts the new version back to 0 % before the step fails. Outputs `weights`, " +
    "`from`, `to`. Undo restores the split the step found.",
  with: TrafficShiftWith,
  idempotent: true,
  undo: "recorded",
  undoIncomplete: true,
  provider: { capability: TrafficSplit, defaultTarget: DEFAULT_TARGET },
  records: Record_,
  checkpoints: Checkpoint,
  describe: (input) =>
    `shift ${input.target ?? DEFAULT_TARGET} traffic to ${input.to} in steps ${input.steps.join(" → ")} %` +
    (input.steps.length > 1 ? `, ${describeBake(input.bake)} between` : ""),

  async run(input, ctx): Promise<ActionResult> {
    const client = await ctx.provider(input.target ?? DEFAULT_TARGET, TrafficSplit);
    // The bake's Monitor workspace is resolved before the first weight moves: a missing entry is a usage error now,
    // not a failed check (and a shift back) later.
    if (input.bake.check?.monitor) await ctx.provider(input.bake.check.monitor.target ?? "monitor", MonitorLogs);
    const scope = { app: input.app };
    // A retry after a failed bake starts over (applied -1) from the split it was shifted back to.
    let cp = ctx.priorCheckpoint ?? (await begin(input, client, ctx));
    const last = input.steps.length - 1;
    for (let i = 0; i <= last; i++) {
      if (i > cp.applied) cp = await apply(input, client, ctx, cp, i);
      // A resumed run bakes the rest of the window of the step it stopped in, and no earlier one again.
      if (i < last && i === cp.applied && cp.baked < i) cp = await bake(input, ctx, cp, client);
    }
    ctx.log.info(`traffic of ${scope.app ?? input.target ?? DEFAULT_TARGET}: ${describeWeights(cp.current)}`);
    return {
      outputs: { weights: cp.current, from: cp.from, to: cp.to, ...(cp.override ? { override: cp.override } : {}) },
      recorded: { from: cp.from, to: cp.to, previous: cp.previous, final: cp.current },
    };
  },

  async undoRun(input, ctx: UndoContext<z.infer<typeof Record_>, Checkpoint>) {
    const previous = ctx.recorded?.previous ?? ctx.lastCheckpoint?.previous;
    if (!previous) return;
    const client = await ctx.provider(input.target ?? DEFAULT_TARGET, TrafficSplit);
    const now = await client.readSplit({ app: input.app }, ctx.signal);
    if (sameWeights(now.weights, previous)) return ctx.log.info(`traffic is back to ${describeWeights(previous)}`);
    ctx.log.info(`traffic is ${describeWeights(now.weights)}; restoring ${describeWeights(previous)}`);
    await ctx.fence?.assertHeld();
    await client.writeSplit({ app: input.app }, previous, ctx.signal);
  },
});

/** Checkpoint `cp` (fields left undefined are left out of the journal). */
function save(ctx: Pick<ActionContext<Checkpoint>, "checkpoint">, cp: Checkpoint): Promise<void> {
  return ctx.checkpoint(JSON.parse(JSON.stringify(cp)) as Json);
}

/** First attempt: resolve the two backends against the router and journal the split found. */
async function begin(input: Input, client: TrafficSplitClient, ctx: ActionContext<Checkpoint>): Promise<Checkpoint> {
  const state = await client.readSplit({ app: input.app }, ctx.signal);
  const to = named(state, input.to);
  const from = input.from !== undefined ? named(state, input.from) : heaviest(state, to);
  if (from === to) throw new ActionFailure(`from and to are both ${to}`, { retryable: false });
  const previous = normaliseWeights(state.weights);
  const cp: Checkpoint = { from, to, previous, current: previous, applied: -1, baked: -1 };
  await save(ctx, cp);
  ctx.log.info(`shifting ${from} → ${to}; traffic now: ${describeWeights(previous)}`);
  return cp;
}

function named(state: TrafficSplitState, name: string): string {
  const backend = resolveBackend(state, name);
  if (backend === undefined) {
    const known = [...Object.keys(state.aliases), ...state.backends].join(", ");
    throw new ActionFailure(`the router has no backend or label "${name}" (it has: ${known || "none"})`, {
      retryable: false,
    });
  }
  return backend;
}

function heaviest(state: TrafficSplitState, except: string): string {
  const [best] = Object.entries(state.weights)
    .filter(([k, w]) => k !== except && w > 0)
    .sort(([, a], [, b]) => b - a);
  if (!best) throw new ActionFailure(`no backend but ${except} has traffic: name \`from\``, { retryable: false });
  return best[0];
}

/** The split at `percent` for the new version: the rest on `from`, nothing elsewhere. */
function split(cp: Checkpoint, percent: number): Weights {
  return normaliseWeights({ [cp.from]: 100 - percent, [cp.to]: percent });
}

/** Write step `i`'s weights unless they are already in effect; refuse a split someone else changed. */
async function apply(
  input: Input,
  client: TrafficSplitClient,
  ctx: ActionContext<Checkpoint>,
  cp: Checkpoint,
  i: number,
): Promise<Checkpoint> {
  const target = split(cp, input.steps[i] ?? 100);
  const observed = (await client.readSplit({ app: input.app }, ctx.signal)).weights;
  let next: Checkpoint = { ...cp, applied: i, current: target, bakeUntil: undefined, shiftedBack: undefined };
  if (sameWeights(observed, target)) {
    ctx.log.info(`step ${i + 1}/${input.steps.length}: ${describeWeights(target)} already in effect`);
    await save(ctx, next);
    return next;
  }
  if (!sameWeights(observed, cp.current)) {
    if (!input.takeOverChangedTraffic) {
      throw new ActionFailure(
        `the traffic split changed since this step last set it: expected ${describeWeights(cp.current)}, found ` +
          `${describeWeights(observed)}`,
        {
          retryable: false,
          hint:
            "someone else is moving traffic; find out who, or set `takeOverChangedTraffic: <reason>` on the step " +
            "to override their split (journaled)",
        },
      );
    }
    ctx.log.warn(
      `overriding a split changed by someone else (${describeWeights(observed)}): ${input.takeOverChangedTraffic}`,
    );
    next = { ...next, override: input.takeOverChangedTraffic };
    await save(ctx, { ...cp, override: input.takeOverChangedTraffic });
  }
  await ctx.fence?.assertHeld();
  await client.writeSplit({ app: input.app }, target, ctx.signal);
  await save(ctx, next);
  ctx.log.info(`step ${i + 1}/${input.steps.length}: ${describeWeights(target)}`);
  return next;
}

/** Watch the current split for the bake window; a failed check shifts the new version back and fails the step. */
async function bake(
  input: Input,
  ctx: ActionContext<Checkpoint>,
  cp: Checkpoint,
  client: TrafficSplitClient,
): Promise<Checkpoint> {
  const until = cp.bakeUntil ? Date.parse(cp.bakeUntil) : Date.now() + parseDuration(input.bake.duration);
  if (!cp.bakeUntil) {
    cp = { ...cp, bakeUntil: new Date(until).toISOString() };
    await save(ctx, cp);
  }
  const interval = parseDuration(input.bake.interval);
  ctx.log.info(`baking ${describeWeights(cp.current)} for ${formatDuration(Math.max(0, until - Date.now()))}`);
  for (;;) {
    if (input.bake.check) {
      const failure = await runBakeCheck(input.bake.check, ctx);
      if (failure) await shiftBack(input, ctx, cp, client, failure);
    }
    const left = until - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(interval, left), ctx.signal);
  }
  const done = { ...cp, bakeUntil: undefined, baked: cp.applied };
  await save(ctx, done);
  return done;
}

async function shiftBack(
  input: Input,
  ctx: ActionContext<Checkpoint>,
  cp: Checkpoint,
  client: TrafficSplitClient,
  why: string,
): Promise<never> {
  // The split found, with the new version's share given to `from`: the new version gets 0 %.
  const back = normaliseWeights({
    ...cp.previous,
    [cp.to]: 0,
    [cp.from]: (cp.previous[cp.from] ?? 0) + (cp.previous[cp.to] ?? 0),
  });
  ctx.log.warn(
    `bake check failed at ${describeWeights(cp.current)}: ${why}; shifting back to ${describeWeights(back)}`,
  );
  await ctx.fence?.assertHeld();
  await client.writeSplit({ app: input.app }, back, ctx.signal);
  await save(ctx, { ...cp, current: back, applied: -1, baked: -1, bakeUntil: undefined, shiftedBack: why });
  throw new ActionFailure(`bake check failed with ${cp.to} at ${cp.current[cp.to] ?? 0} %: ${why}`, {
    retryable: false,
    hint: `traffic was shifted back to ${describeWeights(back)}`,
  });
}
