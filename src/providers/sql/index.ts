/**
 * The SQL provider's library surface: drivers, the migration engine and the
 * operator functions the CLI (`cutover migrate ...`) and `plan` call.
 */
export type { Dialect, SqlClient, SqlConnection, SessionSettings } from "./driver.js";
export { Sql } from "./driver.js";
export { postgresProvider, sqliteProvider } from "./provider.js";
export { createPgClient } from "./pg-driver.js";
export { createSqliteClient } from "./sqlite-driver.js";
export { loadScriptFolder, type MigrationScript, type ScriptFolder, type Phase, PHASES } from "./scripts.js";
export { runMigrations, type RunMigrationsOptions, type RunMigrationsResult } from "./apply.js";
export { runBackfill, type BackfillOptions, type BackfillResult } from "./backfill.js";
export { planMigrations, formatPlan, type MigrationPlan, type PlanOptions } from "./plan.js";
export { migrationStatus, acceptDrift, resolveScript, unlockMigrations } from "./admin.js";
export { validateData } from "./validate.js";
