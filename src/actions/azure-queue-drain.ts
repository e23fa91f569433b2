/**
 * `azure.queue-drain`: the older name of `queue.drain` (src/actions/queue-drain.ts), kept so existing
 * playbooks run unchanged. Its default reading interval stays 5 s: an Azure Storage queue's count is
 * approximate and each reading is a billed request.
 */
import { z } from "zod";
import { queueDrain, queueDrainFields } from "./queue-drain.js";
import { defineAction } from "../core/action.js";
import { durationField } from "./support/schemas.js";

export const azureQueueDrain = defineAction({
  ...queueDrain,
  kind: "azure.queue-drain",
  summary: "Older name of queue.drain (same fields), for an Azure Storage queue.",
  with: z
    .object({
      ...queueDrainFields,
      interval: durationField("Pause between readings of the queue depth.").default("5s"),
    })
    .strict(),
});
