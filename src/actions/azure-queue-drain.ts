/**
 * `azure.queue-drain`: wait until an Azure Storage queue's approximate
 * message count reaches 0 and stays there for `settle` readings, as CQRS
 * Journey let V1 finish its in-flight messages before migrating. The count
 * is approximate (the service says so), hence the settle readings.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { QueueDepth } from "../core/capabilities.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { durationField } from "./support/schemas.js";
import { sleep } from "./support/abort.js";

const AzureQueueDrainWith = z
  .object({
    target: z
      .string()
      .default("queue")
      .describe("The environment entry of the queue (a provider of kind azure-queue)."),
    queue: z.string().min(1).optional().describe("Queue name; defaults to the environment entry's `queue`."),
    timeout: durationField("How long the queue may take to drain.").default("10m"),
    interval: durationField("Pause between readings of the queue depth.").default("5s"),
    settle: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe("Consecutive readings of 0 required (the count is approximate)."),
  })
  .strict();

export const azureQueueDrain = defineAction({
  kind: "azure.queue-drain",
  summary: "Wait until an Azure Storage queue's approximate message count reaches 0.",
  description: "Outputs `readings` and `lastCount`. Nothing to undo.",
  with: AzureQueueDrainWith,
  idempotent: true,
  undo: "none",
  provider: { capability: QueueDepth, defaultTarget: "queue" },
  describe: (input) => `wait until queue ${input.queue ?? `of ${input.target}`} is empty`,

  async run(input, ctx): Promise<ActionResult> {
    const client = await ctx.provider(input.target, QueueDepth);
    const queue = input.queue ?? client.defaultQueue;
    const deadline = Date.now() + parseDuration(input.timeout);
    const interval = parseDuration(input.interval);
    let zeros = 0;
    let readings = 0;
    let count = -1;
    while (true) {
      count = await client.approximateCount(queue, { signal: ctx.signal });
      readings++;
      zeros = count === 0 ? zeros + 1 : 0;
      if (zeros >= input.settle) {
        ctx.log.info(`queue ${queue} is drained (${readings} reading(s))`);
        return { outputs: { queue, readings, lastCount: 0 } };
      }
      ctx.log.progress(`queue ${queue}: ${count} message(s) left`);
      if (Date.now() + interval > deadline) {
        throw new ActionFailure(
          `queue ${queue} still holds about ${count} message(s) after ${formatDuration(parseDuration(input.timeout))}`,
          {
            hint: "Are its consumers running? Retry the step to wait longer.",
            details: { queue, count },
          },
        );
      }
      await sleep(interval, ctx.signal);
    }
  },
});
