/**
 * What a step journals for later — the `recorded` value of a successful run
 * and its checkpoints — parsed with the schemas its action declares
 * (`records`, `checkpoints`) before the engine hands it back to a retried or
 * resumed attempt or to `undoRun`. A value that does not match (a journal
 * written by another version of the action, or edited by hand) is a typed
 * error naming the step, which pauses the run or the abort for a person.
 */
import type { z } from "zod";
import type { ActionDefinition } from "./action.js";
import { CutoverError, ErrorCode } from "./errors.js";
import type { Json } from "./json.js";

type Declares<R, C> = Pick<ActionDefinition<never, R, C>, "kind" | "records" | "checkpoints">;

/** The journaled record of `stepId`, parsed with the action's `records` schema (null: the step did not complete). */
export function parseRecorded<R, C>(def: Declares<R, C>, stepId: string, value: Json | null | undefined): R | null {
  if (value === null || value === undefined) return null;
  return parse(def.records, value, `record of step ${stepId}`, def.kind);
}

/** The journaled checkpoint of `stepId`, parsed with the action's `checkpoints` schema (undefined: none written). */
export function parseCheckpoint<R, C>(def: Declares<R, C>, stepId: string, value: Json | undefined): C | undefined {
  if (value === undefined) return undefined;
  return parse(def.checkpoints, value, `checkpoint of step ${stepId}`, def.kind);
}

function parse<T>(schema: z.ZodType<T> | undefined, value: Json, what: string, kind: string): T {
  // An action that declares no schema takes the value as Json (its own type parameter's default).
  if (!schema) return value as T;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(value)"}: ${i.message}`).join("; ");
  throw new CutoverError(ErrorCode.JournalRecord, `the journal's ${what} is not what ${kind} writes (${issues})`, {
    retryable: false,
    hint:
      "the run was journaled by another version of cutover, or its journal was edited; " +
      "`cutover skip` leaves the step as it is, and a person checks what it changed",
  });
}
