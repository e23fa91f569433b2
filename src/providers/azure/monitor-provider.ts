/**
 * `provider: azure-monitor-logs`: a Log Analytics workspace (where Application
 * Insights and Container Apps send their logs) that health gates query with
 * KQL (capability `monitor-logs`, action `azure.monitor-gate`).
 *
 * The definition loads without any @azure/* module; create() imports
 * @azure/monitor-query on demand (monitor-connect.ts).
 */
import { z } from "zod";
import { capability } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import { clientFields, endpointField } from "./connection-options.js";
import { connectOnDemand, scopeOf, signInPreflight } from "./lazy-provider.js";

/** The first table's first row, as a gate reads it. */
export interface MonitorQueryResult {
  /** The number in the first column (null: no row, or not a number). */
  value: number | null;
  rows: number;
  /** The column the value came from. */
  column?: string;
  /** Every numeric column of the first row, by name (a failure-rate query's `total`). */
  numbers: Record<string, number>;
}

/** Capability `monitor-logs`: run a KQL query over a time window. */
export interface MonitorLogsClient {
  readonly workspaceId: string;
  queryNumber(query: string, windowMs: number, signal?: AbortSignal): Promise<MonitorQueryResult>;
}

export const MonitorLogs = capability<MonitorLogsClient>("monitor-logs");

export const AzureMonitorLogsConfig = z
  .object({
    workspaceId: z
      .string()
      .uuid("a Log Analytics workspace id is a GUID (the workspace's Overview page: Workspace ID)")
      .describe("The Log Analytics workspace id (a GUID; for workspace-based Application Insights, its workspace)."),
    endpoint: endpointField(
      "Log Analytics query endpoint (default https://api.loganalytics.io); its origin is also the token " +
        "audience. Sovereign clouds or a local test server.",
    ),
    ...clientFields,
  })
  .strict()
  .describe("An Azure Monitor Log Analytics workspace queried with KQL (health gates).");
export type AzureMonitorLogsConfig = z.infer<typeof AzureMonitorLogsConfig>;

export const azureMonitorLogsProvider: ProviderDefinition<AzureMonitorLogsConfig, MonitorLogsClient> = {
  kind: "azure-monitor-logs",
  summary: "An Azure Monitor Log Analytics workspace (Application Insights logs) that health gates query with KQL",
  config: AzureMonitorLogsConfig,
  capabilities: [MonitorLogs],
  preflight: signInPreflight((config) => scopeOf(config.endpoint ?? "https://api.loganalytics.io")),
  create: connectOnDemand(async () => (await import("./monitor-connect.js")).connectMonitorLogs),
};
