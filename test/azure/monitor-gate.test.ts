/**
 * azure.monitor-gate through the real LogsQueryClient against the fake Log
 * Analytics query API: a KQL value against thresholds, the failure rate with a
 * minimum of requests, no data, a partial result, a bad query; and as the bake
 * check of traffic.shift, shifting the new version back when it fails.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { azureMonitorGate } from "../../src/actions/azure-monitor-gate.js";
import { trafficShift } from "../../src/actions/traffic-shift.js";
import { azureMonitorLogsProvider, type MonitorLogsClient } from "../../src/providers/azure/monitor-provider.js";
import type { TrafficSplitClient, Weights } from "../../src/core/traffic.js";
import { startMonitorQueryFake, rateAnswer, type MonitorQueryFake } from "./fakes/monitor-query-server.js";
import { testCert } from "./fakes/tls.js";
import "./arm-helpers.js"; // static test credential
import { makeContext, providerContext, runActionParsed } from "../support/context.js";

const WORKSPACE = "5f3e1d2c-0000-4000-8000-000000000001";
let fake: MonitorQueryFake;
let monitor: MonitorLogsClient;
beforeAll(async () => {
  fake = await startMonitorQueryFake(WORKSPACE);
  const config = azureMonitorLogsProvider.config.parse({
    workspaceId: WORKSPACE,
    endpoint: fake.url,
    caCertFile: testCert().certFile,
    retry: { maxRetries: 0, retryDelayMs: 1, maxRetryDelayMs: 5 },
  });
  monitor = await azureMonitorLogsProvider.create(config, providerContext());
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.queries.length = 0;
});

const ctx = (extra: Record<string, { capabilities: string[]; client: unknown }> = {}) =>
  makeContext({ providers: { monitor: { capabilities: ["monitor-logs"], client: monitor }, ...extra } });

describe("azure.monitor-gate", () => {
  it("compares the query's first number with below/above and sends the window as the timespan", async () => {
    fake.respond = () => ({ columns: [{ name: "p95", type: "real" }], rows: [[180.5]] });
    const ok = await runActionParsed(
      azureMonitorGate,
      { query: "AppRequests | summarize percentile(DurationMs, 95)", below: 250, window: "10m" },
      ctx().ctx,
    );
    expect(ok.result.outputs).toEqual({ value: 180.5 });
    expect(fake.queries[0]).toMatchObject({ timespan: "PT600S", prefer: expect.stringContaining("wait=60") });
    await expect(runActionParsed(azureMonitorGate, { query: "x", below: 100 }, ctx().ctx)).rejects.toThrow(/got 180.5/);
    await expect(runActionParsed(azureMonitorGate, { query: "x", above: 200 }, ctx().ctx)).rejects.toThrow(/got 180.5/);
  });

  it("failureRate: percent of failed requests below 5 by default, and too few requests fail the gate", async () => {
    fake.respond = () => rateAnswer(1.5, 400);
    await runActionParsed(
      azureMonitorGate,
      { failureRate: { where: "AppRoleName == 'shop'", minRequests: 100 } },
      ctx().ctx,
    );
    expect(fake.queries[0]!.query).toMatch(
      /^AppRequests\n\| where AppRoleName == 'shop'\n\| summarize total = count\(\), failed = countif\(Success == false\)/,
    );
    fake.respond = () => rateAnswer(7.25, 400);
    await expect(runActionParsed(azureMonitorGate, { failureRate: {} }, ctx().ctx)).rejects.toThrow(
      /failure rate % of AppRequests < 5 over 15m: got 7.25/,
    );
    fake.respond = () => rateAnswer(0, 20);
    await expect(runActionParsed(azureMonitorGate, { failureRate: { minRequests: 100 } }, ctx().ctx)).rejects.toThrow(
      /only 20 request\(s\), fewer than 100/,
    );
  });

  it("no row fails unless noData: pass; a partial result and a bad query are errors, not passes", async () => {
    fake.respond = () => ({ columns: [{ name: "n", type: "long" }], rows: [] });
    await expect(runActionParsed(azureMonitorGate, { query: "x", below: 1 }, ctx().ctx)).rejects.toThrow(
      /returned no number \(0 row/,
    );
    await runActionParsed(azureMonitorGate, { query: "x", below: 1, noData: "pass" }, ctx().ctx);
    fake.respond = () => ({ partial: "query exceeded the result limit", ...rateAnswer(0, 1) });
    await expect(runActionParsed(azureMonitorGate, { query: "x", below: 1 }, ctx().ctx)).rejects.toThrow(
      /partial result \(query exceeded/,
    );
    fake.respond = () => ({ badQuery: "Query could not be parsed at 'summarize'" });
    await expect(runActionParsed(azureMonitorGate, { query: "x", below: 1 }, ctx().ctx)).rejects.toThrow(
      /Azure Monitor: run the gate's query/,
    );
  });

  it("refuses a schema with both or neither of query and failureRate", () => {
    expect(azureMonitorGate.with.safeParse({ below: 1 }).success).toBe(false);
    expect(azureMonitorGate.with.safeParse({ query: "x", failureRate: {}, below: 1 }).success).toBe(false);
    expect(azureMonitorGate.with.safeParse({ query: "x" }).success).toBe(false);
  });
});

/** A router in memory: enough to watch traffic.shift drive a bake with the Monitor gate. */
function memoryRouter(): TrafficSplitClient & { writes: Weights[] } {
  let weights: Weights = { blue: 100 };
  const writes: Weights[] = [];
  return {
    writes,
    readSplit: async () => ({ weights: { ...weights }, aliases: {}, backends: ["blue", "green"] }),
    writeSplit: async (_s, w) => {
      weights = { ...w };
      writes.push({ ...w });
    },
  };
}

describe("azure.monitor-gate as the bake check of traffic.shift", () => {
  it("a failure rate over the threshold during the bake shifts green back to 0 % and fails the step", async () => {
    const router = memoryRouter();
    fake.respond = () => rateAnswer(12, 300);
    const input = { to: "green", steps: [10, 100], bake: { duration: "0s", check: { monitor: { failureRate: {} } } } };
    const run = ctx({ app: { capabilities: ["traffic-split"], client: router } });
    await expect(runActionParsed(trafficShift, input, run.ctx)).rejects.toThrow(
      /bake check failed with green at 10 %: .*got 12/,
    );
    expect(router.writes).toEqual([{ blue: 90, green: 10 }, { blue: 100 }]);
  });

  it("a bake naming no Monitor workspace entry fails before any weight moves; a check is http or monitor, not both", async () => {
    const router = memoryRouter();
    const input = {
      to: "green",
      steps: [10, 100],
      bake: { check: { monitor: { target: "nowhere", failureRate: {} } } },
    };
    const run = ctx({ app: { capabilities: ["traffic-split"], client: router } });
    await expect(runActionParsed(trafficShift, input, run.ctx)).rejects.toThrow(/no environment entry "nowhere"/);
    expect(router.writes).toEqual([]);
    const both = { http: { url: "http://127.0.0.1:1/" }, monitor: { query: "x", below: 1 } };
    const parsed = trafficShift.with.safeParse({ to: "green", steps: [10], bake: { check: both } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain("set exactly one of http and monitor");
  });
});
