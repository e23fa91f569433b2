/**
 * `queue.drain`: wait until a queue holds no work, neither waiting nor being
 * handled, and stays so: the CQRS Journey step "let V1 finish processing the
 * in-flight messages" before migrating. Empty means `ready + inFlight`
 * (+ `scheduled` with `includeScheduled`) is 0 for `settle` consecutive
 * readings spanning at least `settleTime`, because a consumer may publish
 * follow-up messages after acking, and because some readings are approximate
 * or lag (see src/core/queue-depth.ts). Dead-lettered messages are reported
 * in the outputs and warned about, never waited on: nobody will process them.
 * `azure.queue-drain` is this action under its older name.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { QueueDepth } from "../core/capabilities.js";
import type { QueueReading } from "../core/queue-depth.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { durationField } from "./support/schemas.js";
import { sleep } from "./support/abort.js";

export const queueDrainFields = {
  target: z
    .string()
    .default("queue")
    .describe("The environment entry of the queue (a provider with the `queue-depth` capability)."),
  queue: z.string().min(1).optional().describe("Queue name; defaults to the environment entry's `queue`."),
  timeout: durationField("How long the queue may take to drain.").default("10m"),
  interval: durationField("Pause between readings of the queue depth.").default("1s"),
  settle: z.number().int().min(1).default(2).describe("Consecutive empty readings required."),
  settleTime: durationField(
    "How long the queue must have read empty (from the first of those readings) before it counts as drained. " +
      "Set it above the provider's reading lag (RabbitMQ management: its statistics interval, 5 s by default).",
  ).default(0),
  includeScheduled: z
    .boolean()
    .default(false)
    .describe("Count messages scheduled for later (Service Bus) as work to wait for."),
};

const QueueDrainWith = z.object(queueDrainFields).strict();

const work = (r: QueueReading, scheduled: boolean) => r.ready + r.inFlight + (scheduled ? (r.scheduled ?? 0) : 0);

const describeReading = (r: QueueReading) =>
  `${r.ready} ready, ${r.inFlight} in flight` +
  (r.scheduled ? `, ${r.scheduled} scheduled` : "") +
  (r.consumers !== undefined ? `, ${r.consumers} consumer(s)` : "") +
  (r.exact ? "" : " (approximate)");

export const queueDrain = defineAction({
  kind: "queue.drain",
  summary:
    "Wait until a queue holds no messages, waiting or being handled (RabbitMQ, Azure Service Bus, Azure Storage " +
    "queues).",
  description:
    "Reads the queue's depth every `interval`: messages ready plus in flight (delivered, not yet acknowledged). " +
    "Drained after `settle` consecutive empty readings spanning `settleTime`. Fails after `timeout` with the last " +
    "reading; retry the step to wait longer. Outputs `readings`, `lastCount`, `ready`, `inFlight`, `deadLetter` and " +
    "`consumers` (when the broker reports them). Nothing to undo.",
  with: QueueDrainWith,
  idempotent: true,
  undo: "none",
  provider: { capability: QueueDepth, defaultTarget: "queue" },
  describe: (input) => `wait until queue ${input.queue ?? `of ${input.target}`} is empty (ready and in flight)`,

  async run(input, ctx): Promise<ActionResult> {
    const client = await ctx.provider(input.target, QueueDepth);
    const queue = input.queue ?? client.defaultQueue;
    const deadline = Date.now() + parseDuration(input.timeout);
    const interval = parseDuration(input.interval);
    const settleMs = parseDuration(input.settleTime);
    let zeros = 0;
    let emptySince = 0;
    let readings = 0;
    while (true) {
      const r = await client.read(queue, { signal: ctx.signal });
      readings++;
      const count = work(r, input.includeScheduled);
      if (count === 0) {
        if (zeros === 0) emptySince = Date.now();
        zeros++;
      } else zeros = 0;
      if (zeros >= input.settle && Date.now() - emptySince >= settleMs) {
        if (r.deadLetter) ctx.log.warn(`queue ${queue}: ${r.deadLetter} dead-lettered message(s) left for a person`);
        ctx.log.info(`queue ${queue} is drained (${readings} reading(s))`);
        return {
          outputs: {
            queue,
            readings,
            lastCount: 0,
            ready: r.ready,
            inFlight: r.inFlight,
            deadLetter: r.deadLetter ?? null,
            consumers: r.consumers ?? null,
          },
        };
      }
      ctx.log.progress(`queue ${queue}: ${describeReading(r)}`);
      if (Date.now() + interval > deadline) {
        throw new ActionFailure(
          `queue ${queue} still holds ${describeReading(r)} after ${formatDuration(parseDuration(input.timeout))}`,
          {
            hint:
              r.inFlight > 0
                ? "a consumer holds messages it has not acknowledged: is it stuck? Retry the step to wait longer."
                : "Are its consumers running? Retry the step to wait longer.",
            details: { queue, ready: r.ready, inFlight: r.inFlight, count },
          },
        );
      }
      await sleep(interval, ctx.signal);
    }
  },
});
