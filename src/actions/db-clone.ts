/**
 * `db.clone`: a new database holding a consistent copy of a serving one
 * (Squidex: "clone your database, deploy the new version on the clone and
 * migrate it; in case of an error just delete the clone"). The clone keeps
 * the migration journal, so migrating it applies only what is pending. It is
 * a throw-away until a barrier says otherwise: abort drops it, and migrating
 * it is not a point of no return for the source.
 *
 * Converges after a crash: the name is checkpointed before the copy starts,
 * so a resumed attempt that finds the database there drops its own partial
 * copy and starts again, while a database of that name that this step did
 * not create is refused.
 */
import { z } from "zod";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { DatabaseSnapshots } from "../providers/sql/snapshots.js";
import { sessionFields, targetField } from "./migrate-shared.js";
import { parseDuration } from "../core/duration.js";

const DEFAULT_TARGET = "db";

const DbCloneWith = z
  .object({
    target: targetField,
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "letters, digits, `_`, `.` and `-`, not starting with `.` or `-`")
      .describe(
        "The clone: a database on the same PostgreSQL server, or a file beside the SQLite database. Point an " +
          "environment entry at it (e.g. a `postgres` entry whose URL names this database) to migrate it.",
      ),
    dropOnAbort: z.boolean().default(true).describe("Whether abort drops the clone (with whatever was written to it)."),
    leaseTtl: sessionFields.leaseTtl,
    leaseWait: sessionFields.leaseWait,
  })
  .strict();

const Clone = z.object({ name: z.string() });

export const dbClone = defineAction({
  kind: "db.clone",
  summary: "Copy a serving database into a new one (same server, or a file beside it); undo drops the copy.",
  description:
    "Copies the data and cutover's migration journal (not its lease or run store) without stopping the " +
    "source: PostgreSQL with `pg_dump | pg_restore` into a new database (one snapshot; `CREATE DATABASE … " +
    "TEMPLATE` would need the source idle), SQLite with the online backup API. Refuses a name that already " +
    "exists unless this step created it (a resumed attempt starts its copy again). Abort drops the clone " +
    "(PostgreSQL: `DROP DATABASE … WITH (FORCE)`, ending sessions still connected to it).",
  with: DbCloneWith,
  idempotent: true,
  undo: "recorded",
  undoFor: (input) => (input.dropOnAbort ? "recorded" : "none"),
  undoIncomplete: true,
  provider: { capability: DatabaseSnapshots, defaultTarget: DEFAULT_TARGET },
  records: Clone,
  checkpoints: Clone,
  describe: (input) => `clone ${input.target ?? DEFAULT_TARGET} into ${input.name}`,

  async run(input, ctx): Promise<ActionResult> {
    const db = await ctx.provider(input.target ?? DEFAULT_TARGET, DatabaseSnapshots);
    const options = {
      runId: ctx.runId,
      signal: ctx.signal,
      log: ctx.log,
      leaseTtlMs: parseDuration(input.leaseTtl),
      leaseWaitMs: parseDuration(input.leaseWait),
    };
    if (await db.cloneExists(input.name)) {
      if (ctx.priorCheckpoint?.name !== input.name) {
        throw new ActionFailure(`${db.describeClone(input.name)} already exists; db.clone did not create it`, {
          retryable: false,
          hint: "choose another `name`, or drop that database yourself if it is a leftover you do not need",
        });
      }
      ctx.log.info(`an earlier attempt left ${db.describeClone(input.name)}: copying again`);
      await db.dropClone(input.name, options);
    }
    await ctx.checkpoint({ name: input.name });
    const clone = await db.clone(input.name, options);
    ctx.log.info(`cloned ${input.target ?? DEFAULT_TARGET} into ${clone.target}`);
    return { outputs: { name: input.name, target: clone.target }, recorded: { name: input.name } };
  },

  async undoRun(input, ctx) {
    const name = ctx.recorded?.name ?? ctx.lastCheckpoint?.name;
    if (!input.dropOnAbort || name === undefined) return;
    const db = await ctx.provider(input.target ?? DEFAULT_TARGET, DatabaseSnapshots);
    await db.dropClone(name, {
      runId: ctx.runId,
      signal: ctx.signal,
      log: ctx.log,
      leaseTtlMs: parseDuration(input.leaseTtl),
      leaseWaitMs: parseDuration(input.leaseWait),
    });
    ctx.log.info(`dropped ${db.describeClone(name)}`);
  },
});
