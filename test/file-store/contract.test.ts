import { runStoreContract } from "../store-contract.js";
import { tempStore } from "./helpers.js";

runStoreContract("file", async () => {
  const { store, cleanup } = await tempStore();
  return { store, cleanup };
});
