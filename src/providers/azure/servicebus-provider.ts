/**
 * `provider: azure-servicebus`: an Azure Service Bus queue, or a topic
 * subscription, whose depth `queue.drain` waits on (capability `queue-depth`):
 * the old version finishing the messages it was sent before a migration.
 *
 * It reads the entity's runtime properties through the administration client
 * (the ATOM management API, no AMQP connection). The definition loads without
 * any @azure/* module; create() imports the SDK on demand
 * (servicebus-connect.ts).
 */
import { z } from "zod";
import { QueueDepth } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import type { QueueDepthClient } from "../../core/queue-depth.js";
import { usesIdentity } from "./auth-options.js";
import { clientFields } from "./connection-options.js";
import { connectOnDemand, signInPreflight } from "./lazy-provider.js";

/** Service Bus entity names: letters, digits, `.`, `-`, `_` (and `/` in queue and topic names). */
const entityName = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9_])?$/, "letters, digits, '.', '-', '_' and '/'")
  .refine((s) => !/\/subscriptions\//i.test(s), "must not contain /Subscriptions/ (use topic + subscription)");

/** Where a topic subscription's path is written in `queue.drain`'s `queue` field. */
export const SUBSCRIPTION_PATH = /^(.+)\/subscriptions\/([^/]+)$/i;

export const AzureServiceBusConfig = z
  .object({
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(?::\d+)?$/, "a host name such as contoso.servicebus.windows.net (no scheme, no path)")
      .optional()
      .describe(
        "Fully qualified namespace, e.g. contoso.servicebus.windows.net, used with an Entra identity (role Azure " +
          "Service Bus Data Owner: the runtime counts are read through the management API).",
      ),
    connectionStringSecret: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name of the secret or environment variable holding a Service Bus connection string " +
          "(Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…, a policy with the Manage claim); used " +
          "instead of namespace + identity when it is set.",
      ),
    queue: entityName.optional().describe("Default queue to watch."),
    topic: entityName.optional().describe("Topic of the subscription to watch (with `subscription`)."),
    subscription: z
      .string()
      .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9_])?$/, "letters, digits, '.', '-' and '_'")
      .optional()
      .describe("Default subscription to watch (with `topic`)."),
    ...clientFields,
  })
  .strict()
  .refine((c) => Boolean(c.namespace) || Boolean(c.connectionStringSecret), {
    message:
      "set namespace (with an Entra identity), connectionStringSecret, or both (the connection string wins when " +
      "its secret is set)",
  })
  .refine((c) => Boolean(c.queue) !== Boolean(c.topic && c.subscription), {
    message: "set either queue, or topic and subscription (not both)",
  })
  .refine((c) => Boolean(c.topic) === Boolean(c.subscription), {
    message: "topic and subscription go together",
    path: ["subscription"],
  })
  .describe("An Azure Service Bus queue or topic subscription to watch.");
export type AzureServiceBusConfig = z.infer<typeof AzureServiceBusConfig>;

/** The entity a config watches by default: `orders`, or `events/Subscriptions/billing`. */
export function defaultEntity(config: AzureServiceBusConfig): string {
  return config.queue ?? `${config.topic ?? ""}/Subscriptions/${config.subscription ?? ""}`;
}

/** Entra scope of Service Bus (the SDK's `aadServiceBusScope`). */
const SERVICE_BUS_SCOPE = "https://servicebus.azure.net//.default";

export const azureServiceBusProvider: ProviderDefinition<AzureServiceBusConfig, QueueDepthClient> = {
  kind: "azure-servicebus",
  summary: "An Azure Service Bus queue or topic subscription whose message counts cutover can wait on (drain)",
  config: AzureServiceBusConfig,
  capabilities: [QueueDepth],
  preflight: signInPreflight((config, ctx) =>
    usesIdentity(config, ctx) && config.namespace ? SERVICE_BUS_SCOPE : undefined,
  ),
  create: connectOnDemand(async () => (await import("./servicebus-connect.js")).createServiceBusDepthClient),
};
