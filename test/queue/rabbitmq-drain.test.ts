/**
 * queue.drain on the real RabbitMQ broker (127.0.0.1:5672; management API on 15672, enabled by
 * tools/test-deps.sh), with real publishers and consumers over AMQP (amqplib). The drain must wait for
 * messages a consumer has taken but not acknowledged (in flight), which a ready-count-only reading would
 * miss; and every message must have been handled exactly once when it says drained.
 */
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueDrain } from "../../src/actions/queue-drain.js";
import { rabbitmqProvider } from "../../src/providers/rabbitmq/index.js";
import type { QueueDepthClient } from "../../src/core/queue-depth.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";
import { makeContext, providerContext, runAction } from "../support/context.js";

const AMQP_URL = process.env.CUTOVER_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const MANAGEMENT_URL = process.env.CUTOVER_TEST_RABBITMQ_MANAGEMENT_URL ?? "http://guest:guest@127.0.0.1:15672";

let conn: amqp.ChannelModel;
const queues: string[] = [];

beforeAll(async () => {
  conn = await amqp.connect(AMQP_URL).catch((e: unknown) => {
    throw new Error(`RabbitMQ is not reachable at ${AMQP_URL} (start it: rabbitmq-server -detached): ${String(e)}`);
  });
});
afterAll(async () => {
  const ch = await conn.createChannel();
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
  await conn.close();
});

async function freshQueue(messages: number): Promise<string> {
  const name = `cutover-drain-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  queues.push(name);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(name, { durable: false });
  for (let i = 0; i < messages; i++) ch.sendToQueue(name, Buffer.from(String(i)));
  await ch.waitForConfirms();
  await ch.close();
  return name;
}

function client(via: "management" | "rabbitmqctl", queue: string): QueueDepthClient {
  const config = rabbitmqProvider.config.parse(
    via === "management" ? { queue, via, urlEnv: "RABBIT_MGMT" } : { queue, via },
  );
  return rabbitmqProvider.create(config, providerContext({ RABBIT_MGMT: MANAGEMENT_URL })) as QueueDepthClient;
}

const ctxFor = (depth: QueueDepthClient) =>
  makeContext({ providers: { queue: { capabilities: ["queue-depth"], client: depth } } });

/** A consumer that takes `prefetch` messages at a time and acks each after `delayMs`; counts each handling. */
async function consume(queue: string, prefetch: number, delayMs: number) {
  const ch = await conn.createChannel();
  await ch.prefetch(prefetch);
  const handled = new Map<string, number>();
  await ch.consume(queue, (m) => {
    if (!m) return;
    setTimeout(() => {
      handled.set(m.content.toString(), (handled.get(m.content.toString()) ?? 0) + 1);
      ch.ack(m);
    }, delayMs);
  });
  return { handled, close: () => ch.close() };
}

describe.each(["rabbitmqctl", "management"] as const)("queue.drain on RabbitMQ via %s", (via) => {
  it("reads ready and unacknowledged messages apart", async () => {
    const queue = await freshQueue(3);
    const ch = await conn.createChannel();
    await ch.prefetch(1);
    await ch.consume(queue, () => undefined); // takes one message and never acks it
    const depth = client(via, queue);
    // The management figures lag by the broker's statistics interval (and the consumer count is emitted apart
    // from the message counts): poll until they show the delivery and the consumer.
    let r = await depth.read();
    for (let i = 0; i < 100 && !(r.ready === 2 && r.inFlight === 1 && r.consumers === 1); i++) {
      await new Promise((res) => setTimeout(res, 200));
      r = await depth.read();
    }
    expect(r).toMatchObject({ ready: 2, inFlight: 1, consumers: 1, exact: via === "rabbitmqctl" });
    await ch.close();
  });

  it("waits for the consumer to finish what it took: every message handled once when drained", async () => {
    const queue = await freshQueue(40);
    const consumer = await consume(queue, 5, 40);
    const { ctx } = ctxFor(client(via, queue));
    const res = await runAction(
      queueDrain,
      { interval: "200ms", settle: 2, settleTime: via === "management" ? "6s" : 0, timeout: "2m" },
      ctx,
    );
    expect(res.outputs).toMatchObject({ queue, lastCount: 0, ready: 0, inFlight: 0 });
    expect(consumer.handled.size).toBe(40);
    expect([...consumer.handled.values()].every((n) => n === 1)).toBe(true);
    await consumer.close();
  });

  it("does not call a queue drained while a consumer holds unacknowledged messages", async () => {
    const queue = await freshQueue(2);
    const ch = await conn.createChannel();
    await ch.prefetch(10);
    await ch.consume(queue, () => undefined); // takes both, acks neither: ready 0, in flight 2
    const { ctx } = ctxFor(client(via, queue));
    const e = await runAction(queueDrain, { interval: "200ms", settle: 2, timeout: "8s" }, ctx).catch(
      (x: unknown) => x,
    );
    expect(isCutoverError(e, ErrorCode.StepFailed) && e.message).toMatch(/still holds 0 ready, 2 in flight/);
    expect(isCutoverError(e) && e.hint).toMatch(/has not acknowledged/);
    await ch.close();
  });
});

describe("rabbitmq provider errors", () => {
  it("names a queue that does not exist", async () => {
    const e = await client("management", "no-such-queue-cutover")
      .read()
      .catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && e.message).toMatch(/no queue no-such-queue-cutover in vhost \//);
  });

  it("refuses bad credentials without printing them", async () => {
    const depth = rabbitmqProvider.create(
      rabbitmqProvider.config.parse({ queue: "x", urlEnv: "U" }),
      providerContext({ U: "http://guest:wrong-secret-pw@127.0.0.1:15672" }),
    ) as QueueDepthClient;
    const e = await depth.read().catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && e.message).toMatch(/refused the credentials/);
    expect(JSON.stringify({ m: (e as Error).message, h: (e as { hint?: string }).hint })).not.toContain(
      "wrong-secret-pw",
    );
  });

  it("validation: management needs a URL", () => {
    const r = rabbitmqProvider.config.safeParse({ queue: "x" });
    expect(r.success).toBe(false);
  });
});
