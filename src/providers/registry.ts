/**
 * Every provider kind an `environment:` entry may name. The composition root
 * (src/runtime.ts) resolves entries through this list; the engine never
 * imports it.
 */
import type { ProviderDefinition } from "../core/provider.js";

// Embedded default: file-backed state and flags (foundation).
import { fileProvider } from "./file/index.js";

// Local environment and nginx (issue 3).
import { localProvider } from "./local/index.js";
import { nginxProvider } from "./nginx/index.js";

// SQL (issue 4).
import { postgresProvider, sqliteProvider } from "./sql/provider.js";

// Message brokers (issue 10).
import { rabbitmqProvider } from "./rabbitmq/index.js";

// Azure (issue 5).
import {
  azureAppServiceProvider,
  azureAppConfigProvider,
  azureTableProvider,
  azureQueueProvider,
  azureServiceBusProvider,
  azureFrontDoorProvider,
  azureMonitorLogsProvider,
  azureContainerAppsProvider,
} from "./azure/index.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each provider has its own config and client types
export const providers: ProviderDefinition<any, any>[] = [
  fileProvider,
  localProvider,
  nginxProvider,
  postgresProvider,
  sqliteProvider,
  rabbitmqProvider,
  azureAppServiceProvider,
  azureAppConfigProvider,
  azureTableProvider,
  azureQueueProvider,
  azureServiceBusProvider,
  azureFrontDoorProvider,
  azureMonitorLogsProvider,
  azureContainerAppsProvider,
];

export function findProvider(kind: string): ProviderDefinition<unknown, unknown> | undefined {
  return providers.find((p) => p.kind === kind) as ProviderDefinition<unknown, unknown> | undefined;
}
