/**
 * `provider: azure-queue`: an Azure Storage queue whose depth cutover watches
 * (capability `queue`), e.g. to let the old version drain its in-flight
 * messages before a migration.
 */
import { QueueClient } from "@azure/storage-queue";
import { z } from "zod";
import type { ProviderContext, ProviderDefinition } from "../../actions/types.js";
import { AuthOptions, getCredential } from "./credential.js";
import { RetryConfig, chooseConnection } from "./client-options.js";
import { azureCall } from "./errors.js";

export const AzureQueueConfig = z
  .object({
    queue: z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/, "a queue name is 3-63 lower-case letters, digits and single hyphens").describe("Default queue name."),
    endpoint: z.string().url().optional().describe("Queue service URL, e.g. https://<account>.queue.core.windows.net, used with an Entra identity (role Storage Queue Data Reader)."),
    connectionStringSecret: z.string().min(1).optional().describe("Name of the secret or environment variable holding a storage connection string; used instead of endpoint + identity when it is set."),
    auth: AuthOptions.optional(),
    retry: RetryConfig.optional(),
  })
  .strict()
  .refine((c) => Boolean(c.endpoint) || Boolean(c.connectionStringSecret), {
    message: "set endpoint (with an Entra identity), connectionStringSecret, or both (the connection string wins when its secret is set)",
  })
  .describe("An Azure Storage queue to watch.");
export type AzureQueueConfig = z.infer<typeof AzureQueueConfig>;

/** What queue actions need: the approximate depth of a queue. */
export interface QueueDepthClient {
  defaultQueue: string;
  approximateCount(queue?: string, options?: { signal?: AbortSignal }): Promise<number>;
}

export function createQueueDepthClient(config: AzureQueueConfig, ctx: ProviderContext): QueueDepthClient {
  const r = RetryConfig.parse(config.retry ?? {});
  const retryOptions = {
    maxTries: r.maxRetries + 1,
    retryDelayInMs: Math.max(1, r.retryDelayMs),
    maxRetryDelayInMs: Math.max(1, r.maxRetryDelayMs),
    tryTimeoutInMs: r.requestTimeoutMs,
  };
  const clients = new Map<string, QueueClient>();
  const clientFor = (queue: string): QueueClient => {
    let c = clients.get(queue);
    if (!c) {
      const how = chooseConnection(ctx, config, "azure-queue");
      c =
        "connectionString" in how
          ? new QueueClient(how.connectionString, queue, { retryOptions })
          : new QueueClient(`${how.endpoint.replace(/\/+$/, "")}/${queue}`, getCredential(config.auth), { retryOptions });
      clients.set(queue, c);
    }
    return c;
  };
  return {
    defaultQueue: config.queue,
    async approximateCount(queue = config.queue, options = {}) {
      const props = await azureCall({ service: "Queue Storage", operation: "read the queue depth", resource: `queue ${queue}` }, () =>
        clientFor(queue).getProperties({ abortSignal: options.signal }),
      );
      return props.approximateMessagesCount ?? 0;
    },
  };
}

export const azureQueueProvider: ProviderDefinition<AzureQueueConfig, QueueDepthClient> = {
  kind: "azure-queue",
  summary: "An Azure Storage queue whose approximate message count cutover can wait on (drain)",
  config: AzureQueueConfig,
  capabilities: ["queue"],
  create: (config, ctx) => createQueueDepthClient(config, ctx),
};
