/**
 * `provider: rabbitmq`: a RabbitMQ queue whose depth cutover waits on
 * (capability `queue-depth`), e.g. to let the old version finish the
 * messages it took before a migration (CQRS Journey's drain, on the broker
 * that stands in for Service Bus on premises).
 *
 * "In flight" is the queue's unacknowledged count, which AMQP itself cannot
 * read (queue.declare-ok carries only the ready count and consumers). Two
 * readers that can, from the broker's own tools:
 * - `via: management` (default): the management plugin's HTTP API,
 *   `GET /api/queues/{vhost}/{name}` (messages_ready,
 *   messages_unacknowledged, consumers). Its figures are refreshed every
 *   `collect_statistics_interval` (5 s by default), so give the drain a
 *   `settleTime` above that.
 * - `via: rabbitmqctl`: `rabbitmqctl list_queues` on the broker's host, which
 *   asks the queue process itself: exact now, about a second per reading.
 * Sources: https://www.rabbitmq.com/docs/management (HTTP API, statistics
 * interval), https://www.rabbitmq.com/docs/man/rabbitmqctl.8 (list_queues).
 */
import { z } from "zod";
import { QueueDepth } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import type { QueueDepthClient } from "../../core/queue-depth.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { managementReader, rabbitmqctlReader } from "./readers.js";

export const RabbitMqConfig = z
  .object({
    queue: z.string().min(1).max(255).describe("Default queue name."),
    vhost: z.string().min(1).default("/").describe("Virtual host of the queue."),
    via: z
      .enum(["management", "rabbitmqctl"])
      .default("management")
      .describe(
        "How depths are read: the management plugin's HTTP API (`url`), or `rabbitmqctl` on the broker's host " +
          "(exact, slower).",
      ),
    url: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Management API base URL with credentials, e.g. `http://user:pass@rabbit:15672`, normally " +
          "`${{ secrets.RABBITMQ_MANAGEMENT_URL }}`. Never printed or journaled.",
      ),
    urlEnv: z
      .string()
      .min(1)
      .optional()
      .describe("Name of the environment variable (or secret) holding the management URL; instead of `url`."),
    rabbitmqctl: z.string().min(1).default("rabbitmqctl").describe("The rabbitmqctl program, for `via: rabbitmqctl`."),
  })
  .strict()
  .refine((c) => c.via !== "management" || (c.url === undefined) !== (c.urlEnv === undefined), {
    message: "with via: management set exactly one of `url` or `urlEnv`",
  })
  .describe("A RabbitMQ queue to watch.");
type RabbitMqConfig = z.infer<typeof RabbitMqConfig>;

export const rabbitmqProvider: ProviderDefinition<RabbitMqConfig, QueueDepthClient> = {
  kind: "rabbitmq",
  summary: "A RabbitMQ queue whose ready and unacknowledged messages cutover can wait on (queue.drain)",
  config: RabbitMqConfig,
  capabilities: [QueueDepth],
  create(config, ctx) {
    if (config.via === "rabbitmqctl") {
      return { defaultQueue: config.queue, read: rabbitmqctlReader(config.rabbitmqctl, config.vhost, config.queue) };
    }
    const url = config.url ?? (config.urlEnv !== undefined ? ctx.secret(config.urlEnv) : undefined);
    if (!url) {
      throw new CutoverError(ErrorCode.Config, `environment entry '${ctx.name}': no RabbitMQ management URL`, {
        hint: config.urlEnv ? `set the environment variable ${config.urlEnv}` : "set `url` or `urlEnv`",
      });
    }
    return { defaultQueue: config.queue, read: managementReader(url, config.vhost, config.queue) };
  },
};
