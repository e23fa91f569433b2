/**
 * queue.drain on an Azure Service Bus queue and topic subscription, through
 * the real ServiceBusAdministrationClient against the ATOM management fake
 * (fakes/servicebus-server.ts): active (locks included) and transfer counts
 * are waited on, dead letters reported, scheduled only when asked; a missing
 * entity and a refused key are named.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queueDrain } from "../../src/actions/queue-drain.js";
import { azureServiceBusProvider } from "../../src/providers/azure/servicebus-provider.js";
import { setCredentialFactory } from "../../src/providers/azure/credential.js";
import type { QueueDepthClient } from "../../src/core/queue-depth.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";
import { startServiceBusFake, type ServiceBusFake } from "./fakes/servicebus-server.js";
import { testCert } from "./fakes/tls.js";
import "./arm-helpers.js"; // static test credential
import { makeContext, providerContext, runAction } from "../support/context.js";

let fake: ServiceBusFake;
const retry = { maxRetries: 0, retryDelayMs: 1, maxRetryDelayMs: 5 };
const create = async (config: Record<string, unknown>, secrets: Record<string, string> = {}) =>
  azureServiceBusProvider.create(
    azureServiceBusProvider.config.parse({ caCertFile: testCert().certFile, retry, ...config }),
    providerContext(secrets),
  );
let sas: QueueDepthClient;
beforeAll(async () => {
  fake = await startServiceBusFake();
  sas = await create({ queue: "orders", connectionStringSecret: "SB_CS" }, { SB_CS: fake.connectionString });
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.entities.clear();
  fake.requests.length = 0;
  fake.onRead = undefined;
});

const ctx = (client: QueueDepthClient) =>
  makeContext({ providers: { queue: { capabilities: ["queue-depth"], client } } });
const fast = { interval: 1, settle: 2, timeout: "30s" };

describe("queue.drain on Azure Service Bus", () => {
  it("waits while messages are active or in transfer, and ends after `settle` empty readings in a row", async () => {
    const q = fake.set("orders", { active: 3 });
    // One reading per step: a receiver holds 3 messages under lock (still active), completes 2 while one is
    // forwarded, all done, then a follow-up message arrives, and it stays empty.
    const script = [{ active: 3 }, { active: 1, transfer: 1 }, {}, { active: 1 }, {}, {}];
    fake.onRead = (_path, n) => Object.assign(q, { active: 0, transfer: 0 }, script[n] ?? {});
    const { ctx: c, seen } = ctx(sas);
    const res = await runAction(queueDrain, fast, c);
    expect(res.outputs).toMatchObject({ queue: "orders", readings: 6, lastCount: 0, inFlight: 0, deadLetter: 0 });
    expect(seen.progress.map((p) => p.message)).toEqual([
      "queue orders: 3 ready, 0 in flight",
      "queue orders: 2 ready, 0 in flight",
      "queue orders: 0 ready, 0 in flight",
      "queue orders: 1 ready, 0 in flight",
      "queue orders: 0 ready, 0 in flight",
    ]);
    // The connection string signs each request (SharedAccessSignature the fake verifies).
    expect(fake.requests.every((r) => r.auth === "sas" && r.path === "orders")).toBe(true);
  });

  it("reports dead-lettered messages (and transfer dead letters) without waiting for them", async () => {
    fake.set("orders", { deadLetter: 4, transferDeadLetter: 1 });
    const { ctx: c, seen } = ctx(sas);
    const res = await runAction(queueDrain, fast, c);
    expect(res.outputs).toMatchObject({ readings: 2, deadLetter: 5 });
    expect(seen.warn.join("\n")).toMatch(/queue orders: 5 dead-lettered message\(s\) left for a person/);
  });

  it("drains a topic subscription (with an Entra identity), taking scheduled messages from its topic", async () => {
    const sub = await create({ namespace: fake.namespace, topic: "events", subscription: "billing" });
    expect(sub.defaultQueue).toBe("events/Subscriptions/billing");
    fake.set("events", { scheduled: 2 }, "TopicDescription");
    const s = fake.set("events/Subscriptions/billing", { active: 2, deadLetter: 1 });
    expect(await sub.read()).toEqual({ ready: 2, inFlight: 0, scheduled: 2, deadLetter: 1, exact: true });
    fake.onRead = (path, n) => {
      if (path === "events/Subscriptions/billing" && n >= 2) s.active = 0;
    };
    const res = await runAction(queueDrain, fast, ctx(sub).ctx);
    expect(res.outputs).toMatchObject({ queue: "events/Subscriptions/billing", readings: 3, deadLetter: 1 });
    expect(new Set(fake.requests.map((r) => `${r.path} ${r.auth}`))).toEqual(
      new Set(["events/Subscriptions/billing bearer", "events bearer"]),
    );
  });

  it("counts scheduled messages only with includeScheduled", async () => {
    const q = fake.set("orders", { scheduled: 2 });
    expect((await runAction(queueDrain, fast, ctx(sas).ctx)).outputs).toMatchObject({ readings: 2 });
    const e = await runAction(queueDrain, { ...fast, includeScheduled: true, timeout: 20 }, ctx(sas).ctx).catch(
      (x: unknown) => x,
    );
    expect(isCutoverError(e) && e.message).toMatch(/queue orders still holds 0 ready, 0 in flight, 2 scheduled/);
    fake.requests.length = 0;
    fake.onRead = (_path, n) => {
      if (n >= 1) q.scheduled = 0;
    };
    const res = await runAction(queueDrain, { ...fast, includeScheduled: true }, ctx(sas).ctx);
    expect(res.outputs).toMatchObject({ readings: 3 });
  });

  it("names a queue or subscription that does not exist (the service answers an empty feed)", async () => {
    const e = await sas.read("invoices").catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && e.message).toMatch(
      new RegExp(`queue invoices does not exist in namespace ${fake.namespace.replace(".", "\\.")}`),
    );
    const s = await sas.read("events/Subscriptions/audit").catch((x: unknown) => x);
    expect(isCutoverError(s, ErrorCode.Provider) && s.message).toMatch(
      /subscription audit of topic events does not exist/,
    );
  });

  it("says the key was refused, without printing it, when the connection string is wrong", async () => {
    const wrong = fake.connectionString.replace(/SharedAccessKey=[^;]+/, "SharedAccessKey=bm90LXRoZS1rZXk=");
    const client = await create({ queue: "orders", connectionStringSecret: "SB_CS" }, { SB_CS: wrong });
    fake.set("orders", {});
    const e = await client.read().catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && e.message).toMatch(
      /Service Bus: read the message counts \(queue orders\): the connection string was refused \(HTTP 401\)/,
    );
    expect(isCutoverError(e) && `${e.message} ${e.hint}`).not.toMatch(/bm90LXRoZS1rZXk/);
    expect(isCutoverError(e) && e.hint).toMatch(/Manage claim/);
  });

  it("refuses a malformed connection string without quoting it", async () => {
    const e = await create(
      { queue: "orders", connectionStringSecret: "SB_CS" },
      { SB_CS: "Endpoint=https://x/;SharedAccessKey=topsecret" },
    ).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Config) && e.message).toMatch(/Endpoint is missing or not sb:\/\/<namespace>/);
    expect(String((e as Error).message)).not.toMatch(/topsecret/);
  });

  it("signs in for the Service Bus scope in preflight, and fails before any change when it cannot", async () => {
    const previous = setCredentialFactory(() => ({
      getToken: async () => {
        throw new Error("AADSTS700016: application not found in the directory");
      },
    }));
    try {
      const config = azureServiceBusProvider.config.parse({ namespace: fake.namespace, queue: "orders" });
      const e = await azureServiceBusProvider.preflight!(config, providerContext({}, "bus")).catch((x: unknown) => x);
      expect(isCutoverError(e, ErrorCode.Config) && e.message).toMatch(
        /environment\.bus: cannot sign in .* scope https:\/\/servicebus\.azure\.net\/\/\.default .*AADSTS700016/,
      );
    } finally {
      setCredentialFactory(previous);
    }
  });

  it("validates the entry: a queue, or a topic and a subscription", () => {
    const parse = (c: object) =>
      azureServiceBusProvider.config.safeParse({ namespace: "x.servicebus.windows.net", ...c });
    expect(parse({ queue: "orders" }).success).toBe(true);
    expect(parse({ topic: "events", subscription: "billing" }).success).toBe(true);
    expect(parse({ queue: "orders", topic: "events", subscription: "billing" }).success).toBe(false);
    expect(parse({ topic: "events" }).success).toBe(false);
    expect(parse({}).success).toBe(false);
    expect(azureServiceBusProvider.config.safeParse({ queue: "orders" }).success).toBe(false);
  });
});
