/**
 * `wait.duration`: pause the run for a fixed time (let caches expire, let a
 * canary soak), crash-safe.
 *
 * Before sleeping it checkpoints the moment the wait ends. A resumed or
 * retried attempt finds that checkpoint and waits only for what is left, so
 * a crash 25 minutes into a 30-minute soak costs 5 more minutes, not 30.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { defineAction, type ActionResult } from "../core/action.js";
import { sleep } from "./support/abort.js";
import { durationField } from "./support/schemas.js";

/** Progress is reported at least this often. */
const PROGRESS_EVERY_MS = 1_000;

const WaitDurationWith = z
  .object({
    duration: durationField('How long to wait, e.g. "30s", "5m", "1h30m" (or milliseconds).'),
  })
  .strict();

const Checkpoint = z.object({ until: z.iso.datetime() });

export const waitDuration = defineAction({
  kind: "wait.duration",
  summary: "Wait a fixed time; a resumed run waits only for what is left.",
  description:
    "Checkpoints the end time before sleeping; after a crash or retry, only the remaining time is waited. " +
    "Cancellation (step timeout, second Ctrl-C) stops the wait at once. Idempotent, nothing to undo.",
  with: WaitDurationWith,
  idempotent: true,
  undo: "none",
  describe: (input) => `wait ${formatDuration(parseDuration(input.duration))}`,

  async run(input, ctx): Promise<ActionResult> {
    const durationMs = parseDuration(input.duration);
    const now = Date.now();
    const prior = Checkpoint.safeParse(ctx.priorCheckpoint);
    let until: number;
    if (prior.success) {
      // Never longer than a full wait from now: the playbook may have shortened it, or the clock moved.
      until = Math.min(Date.parse(prior.data.until), now + durationMs);
      const left = Math.max(0, until - now);
      ctx.log.info(`resuming a wait that ends at ${new Date(until).toISOString()}: ${formatDuration(left)} left`);
    } else {
      until = now + durationMs;
    }
    // Checkpoint (again, on resume) before sleeping, so the end time survives any later crash too.
    await ctx.checkpoint({ until: new Date(until).toISOString() });

    for (;;) {
      const left = until - Date.now();
      if (left <= 0) break;
      const fraction = durationMs > 0 ? Math.min(1, Math.max(0, 1 - left / durationMs)) : 1;
      ctx.log.progress(`${formatDuration(left)} left`, fraction);
      await sleep(Math.min(left, PROGRESS_EVERY_MS), ctx.signal);
    }
    return { outputs: { until: new Date(until).toISOString(), waitedMs: Date.now() - now } };
  },
});
