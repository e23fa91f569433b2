/**
 * The SQL provider's library surface: drivers, the migration engine and the
 * operator functions the CLI (`cutover migrate ...`) and `plan` call.
 */
export { sqliteProvider } from "./provider.js";
