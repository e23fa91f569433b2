/**
 * `cutover migrate status|plan|resolve|accept-drift|unlock`: the migration
 * journal seen and settled by an operator. The database comes from a
 * playbook's environment entry (`-f playbook.yaml --target db`, secrets from
 * the environment as in a run) or directly (`--url-env DATABASE_URL`,
 * `--sqlite file.db`). Writes are audited: they take the migration lease and
 * append a journal row naming who and why. Thin over src/providers/sql/.
 */
import path from "node:path";
import type { Command } from "commander";
import { Redactor } from "../../engine/redact.js";
import { CutoverError, ErrorCode, ExitCode } from "../../core/errors.js";
import { loadPlaybook } from "../../playbook/validate.js";
import { acceptDrift, migrationStatus, resolveScript, unlockMigrations } from "../../providers/sql/admin.js";
import type { SqlClient } from "../../providers/sql/driver.js";
import { Sql } from "../../providers/sql/driver.js";
import { describeHolder } from "../../providers/sql/lease.js";
import { createPgClient } from "../../providers/sql/pg-driver.js";
import { formatPlan, planMigrations } from "../../providers/sql/plan.js";
import { loadScriptFolder, PHASES, type Phase } from "../../providers/sql/scripts.js";
import { createSqliteClient } from "../../providers/sql/sqlite-driver.js";
import { currentActor, lookupSecret, ProviderSet, registries } from "../../runtime.js";
import type { CliIO } from "../io.js";
import { withIO } from "../shared.js";
import { wholeNumber } from "../usage.js";

interface TargetOptions {
  playbook?: string;
  target: string;
  urlEnv?: string;
  sqlite?: string;
  schema?: string;
  /** The script folder (every subcommand but unlock). */
  dir: string;
}

const SETTINGS = { lockTimeoutMs: 2000, statementTimeoutMs: 30 * 60_000 };

/** The SQL client named by the options, and a closer. Never prints the connection string. */
async function openSqlTarget(o: TargetOptions, io: CliIO): Promise<{ client: SqlClient; close(): Promise<void> }> {
  if (o.playbook) {
    const loaded = loadPlaybook(o.playbook, registries);
    const providers = new ProviderSet(loaded, { stateDir: io.stateDir, env: process.env, redactor: new Redactor() });
    const client = await providers.provider(o.target, Sql);
    return { client, close: () => providers.close() };
  }
  if (o.urlEnv) {
    const url = lookupSecret(process.env, o.urlEnv);
    if (!url) throw new CutoverError(ErrorCode.Config, `the environment variable ${o.urlEnv} is not set`);
    return {
      client: createPgClient({ connectionString: url, schema: o.schema ?? "cutover", settings: SETTINGS }),
      close: async () => {},
    };
  }
  if (o.sqlite) {
    return {
      client: createSqliteClient({
        path: path.resolve(o.sqlite),
        tablePrefix: o.schema ?? "cutover_",
        settings: SETTINGS,
      }),
      close: async () => {},
    };
  }
  throw new CutoverError(
    ErrorCode.Usage,
    "name the database: -f <playbook> [--target db], --url-env <NAME> or --sqlite <file>",
  );
}

function withTarget(cmd: Command, needsDir = true): Command {
  if (needsDir) cmd.requiredOption("-d, --dir <folder>", "the migration script folder");
  return cmd
    .option("-f, --playbook <file>", "take the database from this playbook's environment entry")
    .option("-t, --target <entry>", "the environment entry (with --playbook)", "db")
    .option("--url-env <name>", "PostgreSQL: the environment variable holding the connection URL")
    .option("--sqlite <file>", "SQLite: the database file")
    .option("--schema <name>", "the journal's schema (PostgreSQL) or table prefix (SQLite), if not the default");
}

function actor(): string {
  const a = currentActor();
  return `${a.user}@${a.host}`;
}

async function withClient<T>(o: TargetOptions, io: CliIO, fn: (client: SqlClient) => Promise<T>): Promise<T> {
  const { client, close } = await openSqlTarget(o, io);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

export function register(program: Command): void {
  const migrate = program
    .command("migrate")
    .description("inspect and settle database migrations (journal, lease, drift, dirty scripts)");

  withTarget(
    migrate
      .command("status")
      .description(
        "each script's state (applied, pending, undone, failed, running/dirty, drift) and the migration lease",
      ),
  )
    .option("--history", "also list every journal row (each attempt, resolve and accepted drift: the audit trail)")
    .action(
      withIO(async (io, o: TargetOptions & { history?: boolean }) =>
        withClient(o, io, async (client) => {
          const folder = loadScriptFolder(path.resolve(o.dir));
          const { status, lease, journal } = await migrationStatus(client, folder);
          if (o.history) {
            for (const r of journal) {
              if (io.json) io.out(JSON.stringify({ type: "migrate.journal", ...r }));
              else
                io.out(
                  `  #${r.id} ${String(r.seq).padStart(4, "0")} ${r.status.padEnd(16)} ${r.name} run ` +
                    `${r.runId}${r.release ? ` (${r.release})` : ""} token ${r.leaseToken} ` +
                    `${r.startedAt}${r.durationMs !== null ? ` ${r.durationMs} ms` : ""}` +
                    `${r.acknowledged.length ? ` ack ${r.acknowledged.join(",")}` : ""}` +
                    `${r.note ? ` — ${r.note}` : ""}`,
                );
            }
          }
          if (io.json) {
            io.out(
              JSON.stringify({
                type: "migrate.status",
                target: client.target,
                lease: lease ?? null,
                scripts: status.scripts.map((s) => ({
                  seq: s.script.seq,
                  name: s.script.name,
                  phase: s.script.phase,
                  state: s.state,
                  undo: s.script.undo?.name ?? null,
                  runId: s.latest?.runId ?? null,
                  release: s.latest?.release ?? null,
                  at: s.latest?.finishedAt ?? s.latest?.startedAt ?? null,
                  error: s.latest?.error ?? null,
                })),
                future: status.future.map((f) => f.name),
              }),
            );
            return;
          }
          const undone = status.scripts.filter((s) => s.state === "undone").length;
          io.out(
            `${client.target}: ${status.pending.length} pending${undone ? ` (${undone} undone)` : ""}, ` +
              `${status.drift.length} drifted, ${status.running.length} running/dirty`,
          );
          io.out(
            lease?.live
              ? `lease: held by ${lease.holder} (run ${lease.runId}) until ${lease.expiresAt}`
              : "lease: free",
          );
          for (const s of status.scripts) {
            const l = s.latest;
            io.out(
              `  ${String(s.script.seq).padStart(4, "0")} ${s.state.padEnd(8)} ` +
                `${s.script.name}` +
                `${l ? io.c.dim(`  ${l.status} by run ${l.runId}${l.release ? ` (${l.release})` : ""} ${l.finishedAt ?? l.startedAt}`) : ""}`,
            );
            if (s.state === "failed" && l?.error) io.out(io.c.dim(`       ${l.error.split("\n")[0]}`));
            if (s.state === "undone")
              io.out(
                io.c.dim(
                  `       taken back by its undo script; the next run of phase ${s.script.phase} applies it again`,
                ),
              );
          }
          for (const f of status.future)
            io.out(`  ${String(f.seq).padStart(4, "0")} future   ${f.name} (applied by a newer release)`);
        }),
      ),
    );

  withTarget(
    migrate
      .command("plan")
      .description("what a migrate.run of a phase would apply, risky statements, checks — read-only, no lock taken"),
  )
    .option("--phase <phase>", `one of ${PHASES.join(", ")}`)
    .option("--no-checks", "do not run the compatibility checks")
    .action(
      withIO(async (io, o: TargetOptions & { phase?: string; checks: boolean }) =>
        withClient(o, io, async (client) => {
          if (o.phase && !PHASES.includes(o.phase as Phase))
            throw new CutoverError(ErrorCode.Usage, `--phase must be one of ${PHASES.join(", ")}`);
          const plan = await planMigrations(client, {
            folder: loadScriptFolder(path.resolve(o.dir)),
            phase: o.phase as Phase | undefined,
            runChecks: o.checks,
          });
          if (io.json) io.out(JSON.stringify({ type: "migrate.plan", ...plan }));
          else io.out(formatPlan(plan));
          return plan.problems.length > 0 ? ExitCode.failed : ExitCode.ok;
        }),
      ),
    );

  withTarget(
    migrate
      .command("resolve")
      .description("settle a dirty (left running) or failed script after checking the database by hand (audited)"),
  )
    .argument("<seq>", "the script's number", wholeNumber(0, Number.MAX_SAFE_INTEGER))
    .requiredOption(
      "--mark <outcome>",
      "succeeded (it took effect: skip it), failed (it did not: run it again); for a dirty undo: undone (it took " +
        "effect) or succeeded (it did not)",
    )
    .requiredOption("--reason <text>", "why; recorded in the journal")
    .action(
      withIO(async (io, seq: number, o: TargetOptions & { mark: string; reason: string }) =>
        withClient(o, io, async (client) => {
          if (o.mark !== "succeeded" && o.mark !== "failed" && o.mark !== "undone")
            throw new CutoverError(ErrorCode.Usage, "--mark must be succeeded, failed or undone");
          const row = await resolveScript(client, {
            folder: loadScriptFolder(path.resolve(o.dir)),
            seq,
            mark: o.mark,
            reason: o.reason,
            by: actor(),
          });
          io.out(
            io.json
              ? JSON.stringify({
                  type: "migrate.resolved",
                  seq: row.seq,
                  name: row.name,
                  status: row.status,
                  note: row.note,
                })
              : `${row.name}: ${row.status} (${row.note})`,
          );
        }),
      ),
    );

  withTarget(
    migrate
      .command("accept-drift")
      .description("accept an edited, already-applied script: its new checksum becomes the applied one (audited)"),
  )
    .argument("<seq>", "the script's number", wholeNumber(0, Number.MAX_SAFE_INTEGER))
    .requiredOption("--reason <text>", "why the edit is safe; recorded in the journal")
    .action(
      withIO(async (io, seq: number, o: TargetOptions & { reason: string }) =>
        withClient(o, io, async (client) => {
          const row = await acceptDrift(client, {
            folder: loadScriptFolder(path.resolve(o.dir)),
            seq,
            reason: o.reason,
            by: actor(),
          });
          io.out(
            io.json
              ? JSON.stringify({
                  type: "migrate.drift-accepted",
                  seq: row.seq,
                  name: row.name,
                  checksum: row.checksum,
                  note: row.note,
                })
              : `${row.name}: drift accepted (${row.note})`,
          );
        }),
      ),
    );

  withTarget(
    migrate
      .command("unlock")
      .description(
        "free the migration lease: an expired one, or a live one with --force (its holder's writes are then refused)",
      ),
    false,
  )
    .option("--force", "break a live lease")
    .action(
      withIO(async (io, o: TargetOptions & { force?: boolean }) =>
        withClient(o, io, async (client) => {
          const before = await unlockMigrations(client, { force: o.force, by: `${actor()} (${describeHolder()})` });
          io.out(
            io.json
              ? JSON.stringify({ type: "migrate.unlocked", previous: before ?? null })
              : before?.holder
                ? `unlocked (was held by ${before.holder})`
                : "the migration lease was free",
          );
        }),
      ),
    );
}
