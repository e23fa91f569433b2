/**
 * `provider: azure-table`: the run journal and environment lease in an Azure
 * Storage table (capability `state`).
 *
 * The definition loads without any @azure/* module; create() imports the
 * client on demand (table-connect.ts).
 */
import { z } from "zod";
import { RunState } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import { usesIdentity } from "./auth-options.js";
import { clientFields, endpointField, endpointOrConnectionString } from "./connection-options.js";
import type { TableRunStore } from "./table-run-store.js";
import { connectOnDemand, signInPreflight, STORAGE_SCOPE } from "./lazy-provider.js";

export const AzureTableConfig = z
  .object({
    table: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, "a table name is 3-63 letters and digits, starting with a letter")
      .default("cutover")
      .describe("Table holding journals, run index and leases; created on first use."),
    endpoint: endpointField(
      "Table service URL, e.g. https://<account>.table.core.windows.net, used with an Entra identity (role " +
        "Storage Table Data Contributor).",
    ),
    connectionStringSecret: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name of the secret or environment variable holding a storage connection string; used instead of " +
          "endpoint + identity when it is set.",
      ),
    ...clientFields,
  })
  .strict()
  .refine(...endpointOrConnectionString)
  .describe("Azure Table Storage as the state store (journal + lease).");
export type AzureTableConfig = z.infer<typeof AzureTableConfig>;

export const azureTableProvider: ProviderDefinition<AzureTableConfig, TableRunStore> = {
  kind: "azure-table",
  summary:
    "Run journal and environment lease in Azure Table Storage (partition per run, ETag-conditional lease with " +
    "fencing token)",
  config: AzureTableConfig,
  capabilities: [RunState],
  preflight: signInPreflight((config, ctx) =>
    usesIdentity(config, ctx) && config.endpoint ? STORAGE_SCOPE : undefined,
  ),
  create: connectOnDemand(async () => (await import("./table-connect.js")).connectTableRunStore),
};
