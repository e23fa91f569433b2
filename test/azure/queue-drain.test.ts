import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { azureQueueProvider } from "../../src/providers/azure/queue-provider.js";
import { type QueueDepthClient } from "../../src/core/queue-depth.js";
import { azureQueueDrain } from "../../src/actions/azure-queue-drain.js";
import { makeContext, providerContext, runAction } from "../support/context.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";

let azurite: Azurite;
let depth: QueueDepthClient;
beforeAll(async () => {
  azurite = await startAzurite({ queue: true });
  depth = await azureQueueProvider.create(
    azureQueueProvider.config.parse({ queue: "orders", connectionStringSecret: "QUEUE_CS", retry: { maxRetries: 0 } }),
    providerContext({ QUEUE_CS: azurite.connectionString }),
  );
});
afterAll(async () => {
  await azurite?.stop();
});

const ctx = () => makeContext({ providers: { queue: { capabilities: ["queue-depth"], client: depth } } });

describe("azure.queue-drain (Azurite)", () => {
  it("waits until consumers have emptied the queue", async () => {
    const q = new QueueClient(azurite.connectionString, "orders");
    await q.createIfNotExists();
    for (let i = 0; i < 5; i++) await q.sendMessage(`m${i}`);
    expect((await depth.read()).ready).toBe(5);
    // A consumer (the old version finishing its in-flight work) drains it meanwhile.
    const consumer = (async () => {
      for (;;) {
        const got = await q.receiveMessages({ numberOfMessages: 2 });
        if (got.receivedMessageItems.length === 0) break;
        for (const m of got.receivedMessageItems) await q.deleteMessage(m.messageId, m.popReceipt);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const { ctx: c, seen } = ctx();
    const res = await runAction(azureQueueDrain, { interval: 10, settle: 2, timeout: "20s" }, c);
    await consumer;
    expect(res.outputs).toMatchObject({ queue: "orders", lastCount: 0 });
    expect((await depth.read()).ready).toBe(0);
    expect(seen.progress.some((p) => /\d+ ready, 0 in flight \(approximate\)/.test(p.message))).toBe(true);
  });

  it("fails with the remaining count when nothing consumes", async () => {
    const q = new QueueClient(azurite.connectionString, "stuck");
    await q.createIfNotExists();
    await q.sendMessage("x");
    const e = await runAction(azureQueueDrain, { queue: "stuck", interval: 5, timeout: 40 }, ctx().ctx).catch(
      (x: unknown) => x,
    );
    expect(isCutoverError(e, ErrorCode.StepFailed) && e.message).toMatch(
      /stuck still holds 1 ready, 0 in flight \(approximate\)/,
    );
  });

  it("names the queue when it does not exist", async () => {
    const e = await depth.read("missing-queue").catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && e.message).toMatch(/queue missing-queue does not exist/);
  });
});
