/**
 * Builds the run store of an `azure-table` entry. Loads @azure/data-tables
 * and @azure/identity: imported on demand by the provider's create(), never
 * at the top of a module the CLI loads.
 */
import { TableClient } from "@azure/data-tables";
import type { ProviderContext } from "../../core/provider.js";
import { pipelineOptions } from "./client-options.js";
import { chooseConnection, connectionStringEndpoint } from "./connection-options.js";
import { getCredential } from "./credential.js";
import type { AzureTableConfig } from "./table-provider.js";
import { TableRunStore } from "./table-run-store.js";

export function connectTableRunStore(config: AzureTableConfig, ctx: ProviderContext): TableRunStore {
  return new TableRunStore({ table: createTableClient(config, ctx) });
}

function createTableClient(config: AzureTableConfig, ctx: ProviderContext): TableClient {
  const how = chooseConnection(ctx, config, "azure-table");
  if ("connectionString" in how) {
    const endpoint = connectionStringEndpoint(how.connectionString, "TableEndpoint");
    return TableClient.fromConnectionString(
      how.connectionString,
      config.table,
      pipelineOptions(config.retry, config.caCertFile, ctx, endpoint),
    );
  }
  return new TableClient(
    how.endpoint,
    config.table,
    getCredential(config.auth),
    pipelineOptions(config.retry, config.caCertFile, ctx, how.endpoint),
  );
}
