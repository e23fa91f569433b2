/**
 * The `azure-monitor-logs` client: LogsQueryClient.queryWorkspace (POST
 * /v1/workspaces/{id}/query), reduced to the one number a gate compares.
 * Loads @azure/monitor-query and @azure/identity: imported on demand by the
 * provider's create().
 */
import { LogsQueryClient, LogsQueryResultStatus } from "@azure/monitor-query";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { ProviderContext } from "../../core/provider.js";
import { pipelineOptions } from "./client-options.js";
import { getCredential } from "./credential.js";
import { azureCall } from "./errors.js";
import type { AzureMonitorLogsConfig, MonitorLogsClient, MonitorQueryResult } from "./monitor-provider.js";

const PUBLIC_ENDPOINT = "https://api.loganalytics.io";

export function connectMonitorLogs(config: AzureMonitorLogsConfig, ctx: ProviderContext): MonitorLogsClient {
  const endpoint = config.endpoint ?? PUBLIC_ENDPOINT;
  const client = new LogsQueryClient(getCredential(config.auth), {
    ...pipelineOptions(config.retry, config.caCertFile, ctx),
    endpoint,
    // The query API's token audience is its origin (https://api.loganalytics.us in US Government...).
    audience: new URL(endpoint).origin,
  });
  const where = {
    service: "Azure Monitor" as const,
    operation: "run the gate's query",
    resource: `Log Analytics workspace ${config.workspaceId}`,
  };
  return {
    workspaceId: config.workspaceId,
    async queryNumber(query, windowMs, signal): Promise<MonitorQueryResult> {
      const out = await azureCall(where, () =>
        client.queryWorkspace(
          config.workspaceId,
          query,
          { duration: `PT${Math.max(1, Math.round(windowMs / 1000))}S` },
          { abortSignal: signal, serverTimeoutInSeconds: 60 },
        ),
      );
      if (out.status !== LogsQueryResultStatus.Success) {
        // A partial result may leave out the failures a gate is looking for: not a pass.
        throw new CutoverError(
          ErrorCode.Provider,
          `${where.service}: the query returned a partial result (${out.partialError.message})`,
          { retryable: true, hint: "narrow the query or its window so it completes within the service's limits" },
        );
      }
      const table = out.tables[0];
      const row = table?.rows[0];
      const numbers: Record<string, number> = {};
      table?.columnDescriptors.forEach((c, i) => {
        const n = asNumber(row?.[i]);
        if (c.name && n !== null) numbers[c.name] = n;
      });
      return {
        value: asNumber(row?.[0]),
        rows: table?.rows.length ?? 0,
        column: table?.columnDescriptors[0]?.name,
        numbers,
      };
    },
  };
}

/** Log Analytics sends long and decimal columns as JSON numbers, some (decimal) as strings. */
function asNumber(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}
