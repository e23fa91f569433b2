/** The shared RunStore contract suite, run against the Table Storage store on Azurite. */
import { afterAll, beforeAll } from "vitest";
import { TableClient } from "@azure/data-tables";
import { runStoreContract } from "../store-contract.js";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { TableRunStore } from "../../src/providers/azure/table-run-store.js";

let azurite: Azurite;
let n = 0;
beforeAll(async () => {
  azurite = await startAzurite({ table: true });
});
afterAll(async () => {
  await azurite?.stop();
});

runStoreContract("azure-table (Azurite)", async () => {
  const table = TableClient.fromConnectionString(azurite.connectionString, `contract${Date.now()}x${n++}`, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
  const store = new TableRunStore({ table });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await table.deleteTable();
    },
  };
});
