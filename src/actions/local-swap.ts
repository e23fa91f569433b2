/**
 * `local.swap`: make another slot live in the local environment's proxy, then
 * verify through the public port that the new slot answers. If it does not,
 * the swap is reverted before the step fails.
 *
 * The switch is atomic (the next request goes to the new slot; requests in
 * flight finish where they are) and conditional (only if the live slot is
 * still the one observed). The slots are checkpointed before the switch, so
 * a resumed step neither swaps twice nor records the wrong previous slot.
 * Undo makes the previous slot live again.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { SlotNameSchema, type SlotName } from "../core/slots.js";
import { ActionFailure, defineAction, type ActionContext, type ActionResult } from "../core/action.js";
import { sleep } from "./support/abort.js";
import { durationField } from "./support/schemas.js";
import { localProxy, proxyProvider, localTargetField, probe, resolveSlot } from "./local-common.js";

const Verify = z
  .object({
    path: z.string().default("/health").describe("Path requested through the public port."),
    bodyContains: z.string().optional().describe("Text the answer must contain, e.g. the new version."),
    timeout: durationField("How long the new slot may take to answer through the public port.").default("10s"),
  })
  .strict()
  .describe("The check that the new slot serves through the public port (a 2xx answer marked as coming from it).");

const LocalSwapWith = z
  .object({
    target: localTargetField,
    to: z
      .enum(["idle", "blue", "green"])
      .default("idle")
      .describe("The slot to make live: `idle` (the other one, the default) or `blue`/`green`."),
    verify: Verify.default({ path: "/health", timeout: "10s" }),
  })
  .strict();

type VerifyInput = z.infer<typeof Verify>;

export const localSwap = defineAction({
  kind: "local.swap",
  summary:
    "Switch the local environment's proxy to another slot, atomically, and verify it answers through the public port.",
  description: "Outputs `live`, `previous`, `publicUrl`. Undo makes `previous` live again (and verifies it).",
  with: LocalSwapWith,
  idempotent: true,
  undo: "recorded",
  // A swap interrupted between its switch and its checkpointed success may have landed: abort puts `from` back.
  undoIncomplete: true,
  provider: proxyProvider,
  describe: (input) =>
    `make the ${input.to} slot of ${input.target ?? "app"} live and check ${input.verify.path} through the public port`,

  records: z.object({ previous: SlotNameSchema, live: SlotNameSchema }),
  checkpoints: z.object({ from: SlotNameSchema, to: SlotNameSchema }),

  async run(input, ctx): Promise<ActionResult> {
    const client = await localProxy(ctx, input.target);
    const status = await client.status(ctx.signal);
    const from = ctx.priorCheckpoint?.from ?? status.live;
    const to = ctx.priorCheckpoint?.to ?? resolveSlot(input.to, status);
    if (from === to) {
      ctx.log.info(`${to} is already live`);
      return {
        outputs: { live: to, previous: from, publicUrl: status.publicUrl, changed: false },
        recorded: { previous: from, live: to },
        effect: `${to} was already live: nothing changed`,
      };
    }
    await ctx.checkpoint({ from, to });
    await client.setLive(to, status.live === from ? from : undefined, ctx.signal);
    try {
      await verifyServes(status.publicUrl, to, input.verify, ctx);
    } catch (e) {
      ctx.log.warn(`${to} does not answer through ${status.publicUrl}; making ${from} live again`);
      await client.setLive(from, undefined, ctx.signal).catch(() => undefined);
      throw e;
    }
    const label = (slot: SlotName) => `${status.slots[slot].version ?? "?"} (${slot})`;
    ctx.log.info(`${label(to)} now serves ${status.publicUrl}; was ${label(from)}`);
    return {
      outputs: { live: to, previous: from, publicUrl: status.publicUrl, changed: true },
      recorded: { previous: from, live: to },
      effect: `${to} is live, serving ${label(to)}; was ${label(from)}`,
    };
  },

  async undoRun(input, ctx) {
    // Completed: what it recorded. Interrupted: the slots it checkpointed before switching (none: it changed nothing).
    const interrupted = ctx.recorded === null;
    const previous = interrupted ? ctx.lastCheckpoint?.from : ctx.recorded?.previous;
    if (!previous) return;
    const client = await localProxy(ctx, input.target);
    const status = await client.status(ctx.signal);
    if (interrupted && status.live !== ctx.lastCheckpoint?.to) {
      ctx.log.info(
        `the interrupted swap did not leave ${ctx.lastCheckpoint?.to} live (${status.live} is): nothing to undo`,
      );
      return;
    }
    if (status.live !== previous) await client.setLive(previous, undefined, ctx.signal);
    // The text expected of the new version does not apply to the previous one.
    await verifyServes(status.publicUrl, previous, { ...input.verify, bodyContains: undefined }, ctx);
  },
});

/** Request the public URL until a 2xx answer comes from `slot` (the proxy marks answers with x-cutover-slot). */
async function verifyServes(
  publicUrl: string,
  slot: SlotName,
  verify: VerifyInput,
  ctx: Pick<ActionContext, "signal">,
): Promise<void> {
  const deadline = Date.now() + parseDuration(verify.timeout);
  let last = "no answer";
  while (true) {
    const got = await probe(`${publicUrl}${verify.path}`, ctx.signal);
    if (got.ok && got.slot === slot && (verify.bodyContains === undefined || got.body.includes(verify.bodyContains)))
      return;
    last = got.ok ? `answer from ${got.slot ?? "?"}: ${got.status} ${got.body.slice(0, 200)}` : got.error;
    if (Date.now() > deadline) {
      throw new ActionFailure(
        `${slot} did not answer ${verify.path} through ${publicUrl} within ` +
          `${formatDuration(parseDuration(verify.timeout))} (last: ${last})`,
      );
    }
    await sleep(100, ctx.signal);
  }
}
