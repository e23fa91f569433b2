/**
 * `flag.set`: set a named flag (MaintenanceMode, ReadOnly...) in a FlagStore
 * and, on abort, put back what was there.
 *
 * Converges after a crash, and undo restores the true original even when the
 * crash fell between the write and the step's success event:
 * 1. Observe the flag. If an earlier attempt left a checkpoint and the flag
 *    now holds the value we meant to write, that attempt's write landed: the
 *    original is the one it checkpointed (the flag itself no longer shows it).
 *    Otherwise the flag as observed now is the original (the earlier write
 *    never happened, or someone has since set it to something else).
 * 2. Checkpoint that original (durably, before the write).
 * 3. Write conditionally on the observed etag; a concurrent edit makes the
 *    store refuse, and the step fails rather than overwrite a person's change.
 * Undo restores the original (or deletes a flag that did not exist) only if
 * the flag still holds what we wrote, unless `force: true`.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { Flags } from "../core/capabilities.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { jsonEqual, preview, redactJson } from "./support/json.js";
import { FlagConfirm, confirmFlag } from "./support/flag-confirm.js";

const DEFAULT_TARGET = "flags";

const FlagSetWith = z
  .object({
    target: z
      .string()
      .default(DEFAULT_TARGET)
      .describe("The environment entry holding the flags (a provider with the `flags` capability)."),
    name: z.string().min(1).describe("The flag's name, e.g. MaintenanceMode."),
    value: z.json().describe('The value to set: any JSON (true, 3, "read-only", {...}).'),
    restoreOnUndo: z
      .boolean()
      .default(true)
      .describe("Whether abort puts the previous value back (or removes a flag that did not exist)."),
    force: z
      .boolean()
      .default(false)
      .describe("Undo restores the previous value even if someone changed the flag after this step set it."),
    confirm: FlagConfirm.optional(),
  })
  .strict();

/** What the step changed; the checkpoint has the same shape minus `value`. */
const Original = z.object({ name: z.string(), existed: z.boolean(), previous: z.json() });
const Recorded = Original.extend({ value: z.json() });
type Original = z.infer<typeof Original>;

export const flagSet = defineAction({
  kind: "flag.set",
  summary: "Set a flag in a flag store; undo restores its previous value.",
  description:
    "Observes the flag first and writes only if it differs, conditionally on the observed version. Records the " +
    "previous value (checkpointed before the write, so a crash right after it loses nothing) and undo restores it, " +
    "refusing if someone else changed the flag since, unless `force: true`.",
  with: FlagSetWith,
  idempotent: true,
  undo: "recorded",
  // Interrupted between its write and its success (maintenance mode left on): abort restores from the checkpoint.
  undoIncomplete: true,
  provider: { capability: Flags, defaultTarget: DEFAULT_TARGET },
  describe: (input) => `set flag ${input.name} to ${preview(input.value as Json)} in ${input.target}`,

  async run(input, ctx): Promise<ActionResult> {
    const store = await ctx.provider(input.target, Flags);
    const value = input.value as Json;
    const current = await store.get(input.name, { signal: ctx.signal });
    const holdsValue = current.value !== undefined && jsonEqual(current.value, value);

    const prior = Original.safeParse(ctx.priorCheckpoint);
    const original: Original =
      holdsValue && prior.success && prior.data.name === input.name
        ? prior.data
        : { name: input.name, existed: current.value !== undefined, previous: current.value ?? null };
    const changed = !(original.existed && jsonEqual(original.previous, value));
    const outputs = { changed, existed: original.existed, previous: redactJson(original.previous, ctx.redact) };

    if (!holdsValue) {
      await ctx.checkpoint(original);
      await store.set(input.name, value, { ifEtag: current.etag, signal: ctx.signal });
      ctx.log.info(`set ${input.name} from ${describeCurrent(original)} to ${preview(value)}`);
    } else {
      ctx.log.info(
        `${input.name} is already ` +
          `${preview(value)}${changed ? ` (set by an earlier attempt; it was ${describeCurrent(original)})` : ""}`,
      );
    }
    const effect = changed
      ? `${input.name} ${describeCurrent(original)} → ${preview(value)}`
      : `${input.name} already ${preview(value)}: nothing changed`;
    // The store holds the value; hold the step until the running apps see it too (support/flag-confirm.ts).
    const confirmed = input.confirm ? await confirmFlag(input.confirm, input.name, ctx) : undefined;
    return { outputs: confirmed ? { ...outputs, confirmed } : outputs, recorded: { ...original, value }, effect };
  },

  async undoRun(input, ctx) {
    const interrupted = ctx.recorded === null;
    const parsed = interrupted
      ? Recorded.safeParse(interruptedRecord(input.value as Json, ctx.lastCheckpoint))
      : Recorded.safeParse(ctx.recorded);
    if (interrupted && !parsed.success) {
      ctx.log.info(`the interrupted step wrote nothing: ${input.name} is as it was`);
      return;
    }
    if (!parsed.success) {
      throw new ActionFailure(`flag.set cannot undo: the recorded state is not what it expects`, {
        retryable: false,
        details: { recorded: ctx.recorded },
      });
    }
    const rec = parsed.data;
    const wrote = rec.value as Json;
    if (!input.restoreOnUndo) {
      ctx.log.info(`${rec.name} left at ${preview(wrote)} (restoreOnUndo: false)`);
      return;
    }
    if (rec.existed && jsonEqual(rec.previous as Json, wrote)) {
      ctx.log.info(`${rec.name} was already ${preview(wrote)} before this step: nothing to restore`);
      return;
    }
    const store = await ctx.provider(input.target, Flags);
    const current = await store.get(rec.name, { signal: ctx.signal });
    const restored = rec.existed
      ? current.value !== undefined && jsonEqual(current.value, rec.previous as Json)
      : current.value === undefined;
    if (restored) {
      ctx.log.info(`${rec.name} is already back to ${describeCurrent(rec)}`);
      return;
    }
    const ours = current.value !== undefined && jsonEqual(current.value, wrote);
    if (interrupted && !ours) {
      ctx.log.info(
        `the interrupted step's write of ${rec.name} is not in place (it is ` +
          `${describeCurrent({ ...rec, existed: current.value !== undefined, previous: current.value ?? null })}): ` +
          `nothing to undo`,
      );
      return;
    }
    if (!ours && !input.force) {
      throw new ActionFailure(
        `flag ${rec.name} was changed by someone else since this step set it to ${preview(wrote)}: it is now ` +
          `${preview(current.value)}; ` +
          `it was ${describeCurrent(rec)} before. Not restoring over someone else's change.`,
        {
          retryable: false,
          hint: "Restore it by hand, or set `force: true` on the step to restore regardless.",
          details: { flag: rec.name },
        },
      );
    }
    if (rec.existed) await store.set(rec.name, rec.previous as Json, { ifEtag: current.etag, signal: ctx.signal });
    else await store.delete(rec.name, { ifEtag: current.etag, signal: ctx.signal });
    const forced = ours ? "" : ` (forced over ${preview(current.value)})`;
    ctx.log.info(
      rec.existed
        ? `restored ${rec.name} to ${describeCurrent(rec)}${forced}`
        : `removed ${rec.name}, which did not exist before${forced}`,
    );
  },
});

/**
 * The record an interrupted step would have made: its checkpoint
 * (written just before the write) plus the value it meant to set.
 */
function interruptedRecord(value: Json, checkpoint: Json | undefined): unknown {
  const original = Original.safeParse(checkpoint);
  return original.success ? { ...original.data, value } : undefined;
}

function describeCurrent(o: Original): string {
  return o.existed ? preview(o.previous as Json) : "(absent)";
}
