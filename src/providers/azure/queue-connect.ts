/**
 * Builds the queue-depth client of an `azure-queue` entry. Loads
 * @azure/storage-queue and @azure/identity: imported on demand by the
 * provider's create(), never at the top of a module the CLI loads.
 */
import { QueueClient } from "@azure/storage-queue";
import type { ProviderContext } from "../../core/provider.js";
import { RetryConfig, chooseConnection } from "./connection-options.js";
import { getCredential } from "./credential.js";
import { azureCall } from "./errors.js";
import type { AzureQueueConfig } from "./queue-provider.js";
import type { QueueDepthClient } from "../../core/queue-depth.js";

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
          : new QueueClient(`${how.endpoint.replace(/\/+$/, "")}/${queue}`, getCredential(config.auth), {
              retryOptions,
            });
      clients.set(queue, c);
    }
    return c;
  };
  return {
    defaultQueue: config.queue,
    // The service's count includes messages made invisible by a receiver (in flight): it is never lower
    // than the truth ("Get Queue Metadata": x-ms-approximate-messages-count), so it is all reported as ready.
    async read(queue = config.queue, options = {}) {
      const props = await azureCall(
        { service: "Queue Storage", operation: "read the queue depth", resource: `queue ${queue}` },
        () => clientFor(queue).getProperties({ abortSignal: options.signal }),
      );
      return { ready: props.approximateMessagesCount ?? 0, inFlight: 0, exact: false };
    },
  };
}
