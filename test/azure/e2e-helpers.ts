/**
 * Everything an end-to-end run of playbooks/azure-appservice.yaml needs:
 * Azurite (journal, lease, queue), the fake ARM and App Configuration
 * servers, a fake `az`, and the built CLI run asynchronously (the fakes live
 * in this process, so the test must not block on spawnSync).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { startArmFake, type ArmFake, type ArmFakeOptions } from "./fakes/arm-server.js";
import { startAppConfigFake, type AppConfigFake } from "./fakes/appconfig-server.js";
import { fakeAzCli } from "./fakes/az-cli.js";
import { caBundleFile, testCert } from "./fakes/tls.js";
import { BIN, ROOT, startCli, type CliProcess } from "../support/cli.js";

export const PLAYBOOK = path.join(ROOT, "playbooks/azure-appservice.yaml");
export const APP = "shop-api";
export const SECRET_SIG = "sig=TOPSECRETSAS";

export interface AzureWorld {
  azurite: Azurite;
  arm: ArmFake;
  appConfig: AppConfigFake;
  env: NodeJS.ProcessEnv;
  dir: string;
  close(): Promise<void>;
}

export async function startWorld(armOptions: ArmFakeOptions = {}): Promise<AzureWorld> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
  const [azurite, arm, appConfig] = await Promise.all([startAzurite(), startArmFake(armOptions), startAppConfigFake()]);
  const az = fakeAzCli();
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-azure-e2e-"));
  await new QueueClient(azurite.connectionString, "orders").createIfNotExists();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    CI: "true",
    CUTOVER_STATE_DIR: path.join(dir, "state"),
    AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
    CUTOVER_ARM_ENDPOINT: arm.url,
    CUTOVER_STORAGE_CONNECTION_STRING: azurite.connectionString,
    CUTOVER_APPCONFIG_CONNECTION_STRING: appConfig.connectionString,
    SHOP_PACKAGE_URL: `https://stshop.blob.core.windows.net/builds/shop-v2.zip?sv=2024&${SECRET_SIG}`,
    CUTOVER_AZURE_AUTH: "cli",
    PATH: `${az.dir}${path.delimiter}${process.env.PATH ?? ""}`,
    NODE_EXTRA_CA_CERTS: caBundleFile(testCert()),
    NO_PROXY: "127.0.0.1,localhost",
  };
  return {
    azurite,
    arm,
    appConfig,
    env,
    dir,
    async close() {
      await Promise.all([azurite.stop(), arm.close(), appConfig.close()]);
      az.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh app: v1 in production, staging on v1 too, DEPLOY_SLOT sticky; the maintenance flag off. */
export function resetApp(world: AzureWorld): void {
  world.arm.apps.clear();
  world.arm.requests.length = 0;
  world.arm.addApp(APP, {
    sticky: ["DEPLOY_SLOT"],
    settings: {
      production: {
        APP_VERSION: "v1",
        DEPLOY_SLOT: "production",
        WEBSITE_RUN_FROM_PACKAGE: "https://stshop.blob.core.windows.net/builds/shop-v1.zip",
      },
      staging: {
        APP_VERSION: "v1",
        DEPLOY_SLOT: "staging",
        WEBSITE_RUN_FROM_PACKAGE: "https://stshop.blob.core.windows.net/builds/shop-v1.zip",
      },
    },
  });
  world.appConfig.settings.clear();
  world.appConfig.put(
    ".appconfig.featureflag/MaintenanceMode",
    JSON.stringify({ id: "MaintenanceMode", enabled: false, conditions: { client_filters: [] } }),
    {
      label: "production",
      contentType: "application/vnd.microsoft.appconfig.ff+json;charset=utf-8",
    },
  );
}

export function flagEnabled(world: AzureWorld): boolean | undefined {
  const s = world.appConfig.get(".appconfig.featureflag/MaintenanceMode", "production");
  return s?.value ? (JSON.parse(s.value) as { enabled: boolean }).enabled : undefined;
}

export const fastParams = [
  "--param",
  "version=v2",
  "--param",
  "pollIntervalMs=5",
  "--param",
  "checkInterval=10ms",
  "--param",
  "bakeFor=50ms",
  "--param",
  "flagRefreshWait=10ms",
];

/** The built CLI in the world's directory and environment (asynchronous: the fakes answer from this process). */
export function cli(world: AzureWorld, args: string[]): CliProcess {
  return startCli(args, { cwd: world.dir, env: world.env });
}

export function runIdOf(stdout: string): string | undefined {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const o = JSON.parse(line) as { runId?: unknown };
    if (typeof o.runId === "string") return o.runId;
  }
  return undefined;
}
