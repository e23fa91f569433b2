/**
 * Builds the queue-depth client of an `azure-servicebus` entry. Loads
 * @azure/service-bus and @azure/identity: imported on demand by the
 * provider's create(), never at the top of a module the CLI loads.
 *
 * What the counts mean for a drain (learn.microsoft.com/azure/service-bus-messaging/message-counters,
 * "Get message counters"; "Message transfers, locks, and settlement"):
 * - active: messages that can be received, *including* ones a receiver holds under a peek-lock. Service Bus
 *   does not count locked messages separately, so `inFlight` is always 0 and the drain waits for a locked
 *   message until its receiver completes it (or the lock expires and it is active again): what a drain wants.
 * - transfer: messages in the entity's transfer queue, on their way to another entity (auto-forwarding,
 *   send-via); they are not delivered yet, so they count as ready: the work is not done while they move.
 * - scheduled: due later; waited for only with `includeScheduled`. A subscription has none of its own: a
 *   scheduled message stays on its topic until due, so a subscription's reading takes the topic's count.
 * - dead-letter and transfer dead-letter: reported, never waited on (nobody will process them).
 */
import { ServiceBusAdministrationClient } from "@azure/service-bus";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { ProviderContext } from "../../core/provider.js";
import type { QueueDepthClient, QueueReading } from "../../core/queue-depth.js";
import { pipelineOptions } from "./client-options.js";
import { getCredential } from "./credential.js";
import { azureCall, serviceCodeOf, statusOf } from "./errors.js";
import { SUBSCRIPTION_PATH, defaultEntity, type AzureServiceBusConfig } from "./servicebus-provider.js";

export function createServiceBusDepthClient(config: AzureServiceBusConfig, ctx: ProviderContext): QueueDepthClient {
  const { additionalPolicies, ...pipeline } = pipelineOptions(config.retry, config.caCertFile, ctx);
  const how = connection(config, ctx);
  const client =
    "connectionString" in how
      ? new ServiceBusAdministrationClient(how.connectionString, pipeline)
      : new ServiceBusAdministrationClient(how.namespace, getCredential(config.auth), pipeline);
  // The administration client builds its pipeline from options without `additionalPolicies`: add ours here.
  for (const { policy } of additionalPolicies) client.pipeline.addPolicy(policy, { afterPhase: "Retry" });
  const namespace = how.namespace;

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await azureCall({ service: "Service Bus", operation: "read the message counts", resource: what }, fn);
    } catch (e) {
      throw explain(e, what, namespace, "connectionString" in how);
    }
  };

  return {
    defaultQueue: defaultEntity(config),
    async read(entity = defaultEntity(config), options = {}): Promise<QueueReading> {
      const opts = { abortSignal: options.signal };
      const sub = SUBSCRIPTION_PATH.exec(entity);
      if (sub) {
        const [, topic = "", name = ""] = sub;
        const what = `subscription ${name} of topic ${topic}`;
        const s = await call(what, () => client.getSubscriptionRuntimeProperties(topic, name, opts));
        const t = await call(`topic ${topic}`, () => client.getTopicRuntimeProperties(topic, opts));
        return {
          ready: s.activeMessageCount + s.transferMessageCount,
          inFlight: 0,
          scheduled: t.scheduledMessageCount,
          deadLetter: s.deadLetterMessageCount + s.transferDeadLetterMessageCount,
          exact: true,
        };
      }
      const q = await call(`queue ${entity}`, () => client.getQueueRuntimeProperties(entity, opts));
      return {
        ready: q.activeMessageCount + q.transferMessageCount,
        inFlight: 0,
        scheduled: q.scheduledMessageCount,
        deadLetter: q.deadLetterMessageCount + q.transferDeadLetterMessageCount,
        exact: true,
      };
    },
  };
}

/**
 * A missing entity is not a 404 on the ATOM API: the service answers 200 with an empty feed and the SDK
 * throws MessageEntityNotFoundError (azure-sdk-for-java #110; getResource in serviceBusAtomManagementClient.ts).
 * A 401 on a connection string is a wrong key or a policy without Manage, not an Entra sign-in problem.
 */
function explain(e: unknown, what: string, namespace: string, sas: boolean): unknown {
  const cause = e instanceof CutoverError ? (e.cause ?? e) : e;
  const where = `Service Bus: read the message counts (${what})`;
  if (serviceCodeOf(cause) === "MessageEntityNotFoundError")
    return new CutoverError(ErrorCode.Provider, `${where}: ${what} does not exist in namespace ${namespace}`, {
      cause,
      hint: "Check queue / topic / subscription in the environment entry (or the step's `queue`).",
    });
  if (sas && statusOf(cause) === 401)
    return new CutoverError(ErrorCode.Provider, `${where}: the connection string was refused (HTTP 401)`, {
      cause,
      hint:
        "The key is wrong or rotated, or its policy lacks the Manage claim the runtime counts need: copy a " +
        "connection string with Manage (e.g. RootManageSharedAccessKey) into the secret again.",
    });
  return e;
}

type Connection = { connectionString: string; namespace: string } | { namespace: string };

/** The connection string when its secret is set, else the namespace with an Entra identity. */
function connection(config: AzureServiceBusConfig, ctx: ProviderContext): Connection {
  const cs = config.connectionStringSecret ? ctx.secret(config.connectionStringSecret) : undefined;
  if (cs) {
    const parsed = parseConnectionString(cs);
    if ("problem" in parsed)
      // Never quote the string: it holds the key.
      throw new CutoverError(
        ErrorCode.Config,
        `environment.${ctx.name}: the connection string in ${config.connectionStringSecret} is malformed: ` +
          parsed.problem,
        {
          hint:
            "expected Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=… " +
            "(Service Bus namespace → Shared access policies)",
        },
      );
    return { connectionString: cs, namespace: parsed.namespace };
  }
  if (config.namespace) return { namespace: config.namespace };
  throw new CutoverError(
    ErrorCode.Config,
    `azure-servicebus: the secret or environment variable ${config.connectionStringSecret ?? "(none named)"} ` +
      `(connectionStringSecret) is not set and no namespace is configured`,
    {
      hint: `Export ${config.connectionStringSecret ?? "the connection string"}, or set \`namespace\` and an identity.`,
    },
  );
}

/** The SDK's own check fails deep inside ("Cannot read properties of undefined"); say what is missing. */
function parseConnectionString(cs: string): { namespace: string } | { problem: string } {
  const fields = new Map<string, string>();
  for (const seg of cs.split(";").filter((s) => s.trim() !== "")) {
    const eq = seg.indexOf("=");
    if (eq <= 0) return { problem: "a part is not name=value" };
    fields.set(seg.slice(0, eq).trim().toLowerCase(), seg.slice(eq + 1).trim());
  }
  const host = /^sb:\/\/([^/]+)\/?$/i.exec(fields.get("endpoint") ?? "")?.[1];
  if (!host) return { problem: "Endpoint is missing or not sb://<namespace>/" };
  const missing = ["SharedAccessKeyName", "SharedAccessKey"].filter((k) => !fields.get(k.toLowerCase()));
  if (missing.length) return { problem: `it lacks ${missing.join(" and ")}` };
  return { namespace: host };
}
