/**
 * `azure.frontdoor-switch`: move an Azure Front Door origin group's traffic
 * from the blue origin to the green one, by enabling green and disabling blue
 * (`by: enabledState`) or by swapping their priorities or weights.
 *
 * Green is written first, so the group always has a serving origin. Before the
 * first write the step checkpoints both origins' previous values and the
 * values it is about to set, and after each write the origins written so far;
 * a resumed attempt reads the origins and, for each, skips it (already at the
 * target), writes it (at the previous value and not yet written), or refuses
 * (someone changed it since: another value, or back at the previous value
 * after this step wrote it) unless `allowChangedSince: true`.
 * After the writes it waits for Front Door to propagate them: each origin's
 * `deploymentStatus` leaves InProgress (Failed fails the step).
 *
 * Undo restores the journaled previous values, blue first, with the same
 * observe-first rule (an origin someone changed since is left, and said so).
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { ActionFailure, defineAction, type ActionContext, type ActionResult } from "../core/action.js";
import { DURATION_RANGES, formatDuration, parseDuration } from "../core/duration.js";
import { durationSchema } from "../core/duration-schema.js";
import { FrontDoor } from "../providers/azure/frontdoor-provider.js";
import type { FrontDoorOrigins, OriginState } from "../providers/azure/frontdoor-client.js";
import { sleep } from "./support/abort.js";

const DEFAULT_TARGET = "edge";

const Switch = z
  .object({
    target: z
      .string()
      .default(DEFAULT_TARGET)
      .describe("The environment entry of the Front Door profile (a provider of kind azure-frontdoor)."),
    originGroup: z.string().min(1).describe("The origin group whose traffic moves."),
    from: z.string().min(1).describe("The origin serving now (blue)."),
    to: z.string().min(1).describe("The origin to serve after the switch (green)."),
    by: z
      .enum(["enabledState", "priority", "weight"])
      .default("enabledState")
      .describe(
        "`enabledState`: enable `to`, then disable `from`. `priority`: give `to` the priority `from` had and `from` " +
          "the one `to` had (Front Door sends traffic to the lowest priority among healthy origins). `weight`: swap " +
          "their weights the same way (traffic within a priority is split by weight, 1-1000). For priority and " +
          "weight, `to` must be enabled and the two values different.",
      ),
    propagationTimeout: durationSchema(
      "How long to wait for Front Door to propagate the change (each origin's deploymentStatus leaves InProgress).",
      DURATION_RANGES.timeout,
    ).default("30m"),
    allowChangedSince: z
      .boolean()
      .default(false)
      .describe(
        "On resume or undo, overwrite an origin someone changed since this step journaled it (default: refuse, " +
          "or, in undo, leave it).",
      ),
  })
  .strict()
  .refine((w) => w.from !== w.to, { message: "`from` and `to` must be different origins", path: ["to"] });
type SwitchInput = z.infer<typeof Switch>;

const Values = z.object({ enabledState: z.enum(["Enabled", "Disabled"]), priority: z.number(), weight: z.number() });
type Values = z.infer<typeof Values>;
const Plan = z.object({
  originGroup: z.string(),
  by: z.enum(["enabledState", "priority", "weight"]),
  from: z.string(),
  to: z.string(),
  previous: z.object({ from: Values, to: Values }),
  target: z.object({ from: Values, to: Values }),
  /** Origins this step has written (checkpointed after each write): one back at its previous value was reset. */
  done: z.array(z.string()).default([]),
});
type Plan = z.infer<typeof Plan>;
type Side = "from" | "to";

const values = (o: OriginState): Values => ({ enabledState: o.enabledState, priority: o.priority, weight: o.weight });
const same = (by: Plan["by"], a: Values, b: Values) => a[by] === b[by];
const show = (by: Plan["by"], v: Values) => `${by} ${v[by]}`;

/** Where the traffic would be after the switch, from the origins as they are now. */
function planFor(input: SwitchInput, from: OriginState, to: OriginState): Plan | "already" {
  const prev = { from: values(from), to: values(to) };
  if (input.by === "enabledState") {
    if (to.enabledState === "Enabled" && from.enabledState === "Disabled") return "already";
    return {
      ...pick(input),
      previous: prev,
      target: { from: { ...prev.from, enabledState: "Disabled" }, to: { ...prev.to, enabledState: "Enabled" } },
      done: [],
    };
  }
  const by = input.by;
  if (to.enabledState !== "Enabled")
    throw new ActionFailure(`origin ${to.name} is disabled: a ${by} switch would send it no traffic`, {
      retryable: false,
      hint: "Enable it first, or use `by: enabledState`.",
    });
  // Traffic goes to the lowest priority value; within it, in proportion to weight.
  if (by === "priority" ? to.priority < from.priority : to.weight > from.weight) return "already";
  if (to[by] === from[by])
    throw new ActionFailure(
      `origins ${from.name} and ${to.name} both have ${by} ${from[by]}: swapping changes nothing`,
      {
        retryable: false,
        hint:
          by === "priority"
            ? "Give them different priorities (blue 1, green 2), or use `by: enabledState`."
            : "Give them different weights (blue 1000, green 1), or use `by: enabledState`.",
      },
    );
  return {
    ...pick(input),
    previous: prev,
    target: { from: { ...prev.from, [by]: to[by] }, to: { ...prev.to, [by]: from[by] } },
    done: [],
  };
}

function pick(input: SwitchInput) {
  return { originGroup: input.originGroup, by: input.by, from: input.from, to: input.to };
}

type Ctx = Pick<ActionContext, "signal" | "log" | "fence">;

/**
 * Bring each origin (in `order`) from `start` to `end`, observing first: at `end` already → skip; at `start` →
 * write; anything else → someone changed it since: refuse (run) or leave it (undo) unless allowed.
 */
async function converge(
  fd: FrontDoorOrigins,
  plan: Plan,
  order: Side[],
  start: Plan["previous"],
  end: Plan["previous"],
  opts: { allow: boolean; undo: boolean },
  ctx: Ctx & Pick<ActionContext, "checkpoint">,
): Promise<string[]> {
  const written: string[] = [];
  const done = new Set(opts.undo ? [] : plan.done);
  for (const side of order) {
    const name = plan[side];
    const now = values(await fd.get(plan.originGroup, name, ctx.signal));
    if (same(plan.by, now, end[side])) continue;
    if (!same(plan.by, now, start[side]) || done.has(name)) {
      const what =
        `origin ${name} has ${show(plan.by, now)}, but this step journaled ${show(plan.by, start[side])}` +
        ` and set ${show(plan.by, end[side])}: someone changed it since`;
      if (!opts.allow && opts.undo) {
        ctx.log.warn(`${what}; left as it is (allowChangedSince: true overwrites it)`);
        continue;
      }
      if (!opts.allow)
        throw new ActionFailure(what, {
          retryable: false,
          hint: "Find out who changed the origin group; to overwrite their change, set `allowChangedSince: true`.",
        });
      ctx.log.warn(`allowChangedSince: true: ${what}; overwriting it`);
    }
    // ARM cannot check cutover's fencing token: ask the store right before each write.
    await ctx.fence?.assertHeld();
    await fd.update(plan.originGroup, name, { [plan.by]: end[side][plan.by] }, ctx.signal);
    ctx.log.info(`${plan.originGroup}/${name}: ${show(plan.by, end[side])}`);
    written.push(name);
    if (!opts.undo) {
      done.add(name);
      await ctx.checkpoint({ ...plan, done: [...done] } as Json);
    }
  }
  return written;
}

/** Wait until Front Door has pushed the origins' last change to its edge. */
async function propagated(fd: FrontDoorOrigins, plan: Plan, timeoutMs: number, ctx: Ctx): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pollMs = Math.max(fd.options.pollIntervalMs, 20);
  while (true) {
    const states = await Promise.all([plan.to, plan.from].map((o) => fd.get(plan.originGroup, o, ctx.signal)));
    const failed = states.find((s) => s.deploymentStatus === "Failed");
    if (failed)
      throw new ActionFailure(`Front Door failed to deploy the change of origin ${failed.name}`, { retryable: true });
    const pending = states.filter((s) => s.deploymentStatus === "InProgress" || s.provisioningState === "Updating");
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new ActionFailure(
        `Front Door has not propagated the change of ${pending.map((s) => s.name).join(", ")} after ` +
          formatDuration(timeoutMs),
        { retryable: true, hint: "Resume the run: the step finds the origins already switched and waits again." },
      );
    ctx.log.progress(`${plan.originGroup}: waiting for Front Door to propagate the change`);
    await sleep(pollMs, ctx.signal);
  }
}

export const azureFrontDoorSwitch = defineAction({
  kind: "azure.frontdoor-switch",
  summary: "Switch an Azure Front Door origin group from the blue origin to the green one; undo switches back.",
  description:
    "Enables `to` and disables `from` (or swaps their priorities), green first, journaling both origins' previous " +
    "values before the first write; waits for Front Door to propagate the change (each origin's deploymentStatus). " +
    "Resumable: an origin already at its target is skipped; one changed by someone else since is refused unless " +
    "`allowChangedSince: true`. Undo restores the journaled values. Outputs `switched`, `written`.",
  with: Switch,
  records: Plan,
  checkpoints: Plan,
  idempotent: true,
  undo: "recorded",
  undoIncomplete: true,
  provider: { capability: FrontDoor, defaultTarget: DEFAULT_TARGET },
  describe: (input) => `switch Front Door origin group ${input.originGroup} from ${input.from} to ${input.to}`,

  async run(input, ctx): Promise<ActionResult> {
    const fd = await ctx.provider(input.target, FrontDoor);
    const prior = ctx.priorCheckpoint;
    const mine =
      prior &&
      prior.originGroup === input.originGroup &&
      prior.from === input.from &&
      prior.to === input.to &&
      prior.by === input.by
        ? prior
        : undefined;
    let plan: Plan;
    if (mine) {
      plan = mine;
      ctx.log.info(`${input.originGroup}: continuing the switch journaled by an earlier attempt`);
    } else {
      const [from, to] = await Promise.all([
        fd.get(input.originGroup, input.from, ctx.signal),
        fd.get(input.originGroup, input.to, ctx.signal),
      ]);
      const p = planFor(input, from, to);
      if (p === "already") {
        ctx.log.info(`${input.originGroup}: ${input.to} already takes the traffic (nothing changed)`);
        return { outputs: { switched: false, written: [] } };
      }
      plan = p;
      await ctx.checkpoint(plan as Json);
    }
    const written = await converge(
      fd,
      plan,
      ["to", "from"],
      plan.previous,
      plan.target,
      { allow: input.allowChangedSince, undo: false },
      ctx,
    );
    await propagated(fd, plan, parseDuration(input.propagationTimeout), ctx);
    ctx.log.info(`${plan.originGroup}: traffic switched from ${plan.from} to ${plan.to}`);
    return { outputs: { switched: true, written }, recorded: { ...plan, done: [plan.to, plan.from] } as Json };
  },

  async undoRun(input, ctx) {
    const plan = ctx.recorded ?? ctx.lastCheckpoint;
    if (!plan) return; // the attempt journaled nothing: it wrote nothing
    const fd = await ctx.provider(input.target, FrontDoor);
    const written = await converge(
      fd,
      plan,
      ["from", "to"],
      plan.target,
      plan.previous,
      { allow: input.allowChangedSince, undo: true },
      ctx,
    );
    if (written.length > 0) await propagated(fd, plan, parseDuration(input.propagationTimeout), ctx);
    ctx.log.info(`${plan.originGroup}: ${plan.from} restored (${written.length} origin(s) written back)`);
  },
});
