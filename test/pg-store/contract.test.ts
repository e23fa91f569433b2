/** The shared RunStore contract suite, run against the PostgreSQL state store (a fresh schema per test). */
import { runStoreContract } from "../store-contract.js";
import { pgDatabase } from "./helpers.js";

const db = pgDatabase();
let n = 0;

runStoreContract("postgres", async () => {
  const store = db.store(`contract_${n++}`);
  return { store, cleanup: async () => undefined };
});
