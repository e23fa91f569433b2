/**
 * `provider: azure-table`: the run journal and environment lease in an Azure
 * Storage table (capability `state`).
 */
import { TableClient } from "@azure/data-tables";
import { z } from "zod";
import { CutoverError, ErrorCode } from "../../errors.js";
import { Capability } from "../contracts.js";
import type { ProviderContext, ProviderDefinition } from "../../actions/types.js";
import { AuthOptions, getCredential } from "./credential.js";
import { RetryConfig, caCertFileField, connectionStringEndpoint, pipelineOptions, resolveConnectionString } from "./client-options.js";
import { TableRunStore } from "./table-run-store.js";

export const AzureTableConfig = z
  .object({
    table: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, "a table name is 3-63 letters and digits, starting with a letter")
      .default("cutover")
      .describe("Table holding journals, run index and leases; created on first use."),
    endpoint: z
      .string()
      .url()
      .optional()
      .describe("Table service URL, e.g. https://<account>.table.core.windows.net, used with an Entra identity (role Storage Table Data Contributor)."),
    connectionStringSecret: z
      .string()
      .min(1)
      .optional()
      .describe("Name of the secret or environment variable holding a storage connection string (instead of endpoint + identity)."),
    auth: AuthOptions.optional(),
    retry: RetryConfig.optional(),
    caCertFile: caCertFileField,
  })
  .strict()
  .refine((c) => Boolean(c.endpoint) !== Boolean(c.connectionStringSecret), {
    message: "set exactly one of endpoint (with an Entra identity) or connectionStringSecret",
  })
  .describe("Azure Table Storage as the state store (journal + lease).");
export type AzureTableConfig = z.infer<typeof AzureTableConfig>;

export function createTableClient(config: AzureTableConfig, ctx: ProviderContext): TableClient {
  if (config.connectionStringSecret) {
    const cs = resolveConnectionString(ctx, config.connectionStringSecret, "azure-table");
    const endpoint = connectionStringEndpoint(cs, "TableEndpoint");
    return TableClient.fromConnectionString(cs, config.table, pipelineOptions(config.retry, config.caCertFile, ctx, endpoint));
  }
  if (!config.endpoint) throw new CutoverError(ErrorCode.Config, "azure-table: endpoint or connectionStringSecret is required");
  return new TableClient(config.endpoint, config.table, getCredential(config.auth), pipelineOptions(config.retry, config.caCertFile, ctx, config.endpoint));
}

export const azureTableProvider: ProviderDefinition<AzureTableConfig, TableRunStore> = {
  kind: "azure-table",
  summary: "Run journal and environment lease in Azure Table Storage (partition per run, ETag-conditional lease with fencing token)",
  config: AzureTableConfig,
  capabilities: [Capability.state],
  create(config, ctx) {
    return new TableRunStore({ table: createTableClient(config, ctx) });
  },
};
