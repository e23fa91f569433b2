/**
 * Issue 12, defect 1: a flag in App Configuration reaches a running app only if the app refreshes. The app of
 * examples/azure/app-flags.mjs (the setup docs/azure.md documents) runs as a real, long-running Node process
 * against the App Configuration fake; `flag.set` with `confirm` returns only once the app reports the flag, so
 * the step after it (the drain) starts with writes already refused.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { load } from "@azure/app-configuration-provider";
import { ConfigurationMapFeatureFlagProvider, FeatureManager } from "@microsoft/feature-management";
import { startAppConfigFake, type AppConfigFake } from "./fakes/appconfig-server.js";
import { caBundleFile, testCert } from "./fakes/tls.js";
import { azureAppConfigProvider } from "../../src/providers/azure/appconfig-provider.js";
import { flagSet } from "../../src/actions/flag-set.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";
import { makeContext, providerContext, runAction } from "../support/context.js";
import { ROOT } from "../support/cli.js";

const FLAG = ".appconfig.featureflag/MaintenanceMode";
const FF = "application/vnd.microsoft.appconfig.ff+json;charset=utf-8";
const APP = path.join(ROOT, "examples/azure/app-flags.mjs");

let fake: AppConfigFake;
const children: ChildProcess[] = [];
beforeAll(async () => {
  fake = await startAppConfigFake();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.settings.clear();
  fake.put(FLAG, JSON.stringify({ id: "MaintenanceMode", enabled: false, conditions: { client_filters: [] } }), {
    label: "production",
    contentType: FF,
  });
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

/** Start the example app; resolves with its base URL once it listens (a handshake, not a sleep). */
async function startApp(refreshMs: number): Promise<string> {
  const child = spawn(process.execPath, [APP], {
    cwd: ROOT,
    env: {
      ...process.env,
      APP_CONFIG_CONNECTION_STRING: fake.connectionString,
      FLAG_REFRESH_MS: String(refreshMs),
      PORT: "0",
      NODE_EXTRA_CA_CERTS: caBundleFile(testCert()),
      NO_PROXY: "127.0.0.1,localhost",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (\d+)/.exec(output);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${output}`)));
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: url.endsWith("/orders") ? "POST" : "GET" });
  return { status: res.status, body: await res.text() };
}

async function flagsProvider() {
  const config = azureAppConfigProvider.config.parse({
    connectionStringSecret: "APPCONFIG_CS",
    caCertFile: testCert().certFile,
    label: "production",
  });
  const client = await azureAppConfigProvider.create(config, providerContext({ APPCONFIG_CS: fake.connectionString }));
  return { flags: { capabilities: ["flags"], client } };
}

describe("flags reach running apps", () => {
  it("the documented app sees a flag change while running, and flag.set with confirm waits until it does", async () => {
    const app = await startApp(1_000);
    expect(JSON.parse((await get(`${app}/health/flags`)).body)).toEqual({ MaintenanceMode: false });
    expect((await get(`${app}/orders`)).status).toBe(200);
    const res = await runAction(
      flagSet,
      {
        name: "MaintenanceMode",
        value: true,
        // The stated time: FLAG_REFRESH_MS (1 s) + the app's 1 s refresh timer + a round trip, with a wide margin
        // for a loaded machine.
        confirm: { urls: [`${app}/health/flags`], bodyContains: '"MaintenanceMode":true', timeout: "60s" },
      },
      makeContext({ providers: await flagsProvider() }).ctx,
    );
    expect(res.outputs?.confirmed).toMatchObject({ how: "observed", endpoints: 1 });
    // The step returned: the app refuses writes now, before any next step starts.
    expect((await get(`${app}/orders`)).status).toBe(503);
    // The provider watched the store with conditional requests (304 while unchanged), not by reloading everything.
    expect(fake.requests.filter((r) => r === "GET /kv").length).toBeGreaterThan(1);
  });

  it("the setup docs/azure.md showed before (no refresh options) never sees the change: refresh() throws", async () => {
    const settings = await load(fake.connectionString, {
      featureFlagOptions: { enabled: true, selectors: [{ keyFilter: "*", labelFilter: "production" }] },
      replicaDiscoveryEnabled: false,
      clientOptions: { tlsOptions: { ca: testCert().cert }, retryOptions: { maxRetries: 0 } },
    });
    await expect(settings.refresh()).rejects.toThrow(/Refresh is not enabled/);
    const features = new FeatureManager(new ConfigurationMapFeatureFlagProvider(settings));
    const server = http.createServer((_req, res) => {
      void features.isEnabled("MaintenanceMode").then((m) => res.end(JSON.stringify({ MaintenanceMode: m })));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/flags`;
    try {
      const e = await runAction(
        flagSet,
        {
          name: "MaintenanceMode",
          value: true,
          confirm: { urls: [url], bodyContains: '"MaintenanceMode":true', timeout: "3s", interval: "200ms" },
        },
        makeContext({ providers: await flagsProvider() }).ctx,
      ).catch((x: unknown) => x);
      expect(isCutoverError(e, ErrorCode.StepFailed) && e.message).toMatch(
        /did not see MaintenanceMode within 3s: .*without the expected text/,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("confirm: { wait } waits the declared refresh interval and says it waited rather than observed", async () => {
    const res = await runAction(
      flagSet,
      { name: "MaintenanceMode", value: true, confirm: { wait: "50ms" } },
      makeContext({ providers: await flagsProvider() }).ctx,
    );
    expect(res.outputs?.confirmed).toEqual({ how: "waited", ms: 50, endpoints: 0 });
  });

  it("docs/azure.md shows exactly the app this test runs", () => {
    const doc = readFileSync(path.join(ROOT, "docs/azure.md"), "utf8");
    expect(doc).toContain("```js\n" + readFileSync(APP, "utf8") + "```");
  });
});
