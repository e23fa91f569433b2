/**
 * The check every store runs on the events it reads back (the file store per
 * line, Table Storage per entity), so a damaged journal is named where it is
 * damaged instead of being half-understood by the reducer:
 *
 * - each event matches the schema of its type (events.ts); unknown types and
 *   missing or mistyped fields are refused;
 * - sequence numbers run from 1 without gaps, every event is of this run;
 * - the first event is run.started, in a format version this cutover reads;
 * - every step id is one the run planned (run.started, or run.resumed of a
 *   changed playbook).
 *
 * It returns why an event is refused; the store says where (file:line, or
 * the table entity), since only it knows.
 */
import { CutoverError, ErrorCode } from "../core/errors.js";
import { JOURNAL_FORMAT_VERSION, RunEventBody, StoredEventSchemas, type RunEvent } from "./events.js";

export type Checked = { ok: true; event: RunEvent } | { ok: false; why: string; tooNew?: boolean };

/** Where a check starts: after `lastSeq` events already checked (the step ids are unknown then unless given). */
export interface CheckStart {
  lastSeq: number;
  steps?: ReadonlySet<string>;
}

export class JournalChecker {
  private lastSeq: number;
  private steps: Set<string> | undefined;

  constructor(
    private readonly runId: string,
    start: CheckStart = { lastSeq: 0 },
  ) {
    this.lastSeq = start.lastSeq;
    this.steps = start.lastSeq === 0 ? new Set() : start.steps && new Set(start.steps);
  }

  /** Check the next event (a parsed JSON value); on success it becomes part of what later events are judged by. */
  next(value: unknown): Checked {
    const r = checkEvent(value);
    if (!r.ok) return r;
    const e = r.event;
    const expected = this.lastSeq + 1;
    if (e.seq !== expected)
      return fail(`seq ${e.seq} where ${expected} was expected (sequence numbers run from 1 without gaps)`);
    if (e.runId !== this.runId) return fail(`event of run ${JSON.stringify(e.runId)} in the journal of ${this.runId}`);
    if (expected === 1 && e.type !== "run.started")
      return fail(`the first event is ${e.type}; a journal starts with run.started`);
    if (expected > 1 && e.type === "run.started") return fail("a second run.started");
    if (e.type === "run.started") {
      const version = e.formatVersion ?? 1;
      if (version > JOURNAL_FORMAT_VERSION) {
        return {
          ok: false,
          tooNew: true,
          why:
            `written in journal format version ${version} by a newer cutover (${e.cutoverVersion}); ` +
            `this cutover reads up to version ${JOURNAL_FORMAT_VERSION}`,
        };
      }
    }
    const planned = e.type === "run.started" || e.type === "run.resumed" ? e.steps : undefined;
    if (planned) for (const s of planned) this.steps?.add(s.id);
    const stepId = "stepId" in e ? e.stepId : undefined;
    if (stepId !== undefined && this.steps && !this.steps.has(stepId)) {
      return fail(`${e.type} of step ${JSON.stringify(stepId)}, which this run never planned`);
    }
    this.lastSeq = e.seq;
    return r;
  }
}

/** The schema check of one stored event alone (no order, no step ids). */
export function checkEvent(value: unknown): Checked {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("not a JSON object");
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string") return fail("an event without a type");
  const schema = StoredEventSchemas.get(type);
  if (!schema) return fail(`unknown event type ${JSON.stringify(type)}`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) return fail(`${type}: ${describeIssues(parsed.error.issues)}`);
  return { ok: true, event: parsed.data };
}

function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
    .join("; ");
}

function fail(why: string): Checked {
  return { ok: false, why };
}

/** The hint of a refused journal: a newer format wants a newer cutover; anything else is damage. */
export function refusalHint(checked: Extract<Checked, { ok: false }>): string {
  return checked.tooNew
    ? "upgrade cutover to the version that wrote this run (cutoverVersion in its first event) and run the command again"
    : "the events before it are intact; repair or move the journal aside (cutover never rewrites a journal)";
}

/**
 * Stores call this before writing: an event its own reader would refuse is a
 * bug in the writer, and must never reach the journal.
 */
export function assertWritable(bodies: readonly unknown[], runId: string, expectedSeq: number): void {
  bodies.forEach((body, i) => {
    const type = typeof body === "object" && body !== null ? (body as { type?: unknown }).type : undefined;
    const refuse = (why: string) =>
      new CutoverError(ErrorCode.Internal, `refusing to journal event ${expectedSeq + i + 1} of run ${runId}: ${why}`);
    const parsed = RunEventBody.safeParse(body);
    if (!parsed.success)
      throw refuse(`${typeof type === "string" ? type : "untyped"}: ${describeIssues(parsed.error.issues)}`);
    const first = expectedSeq + i === 0;
    if (first !== (type === "run.started"))
      throw refuse(first ? "a journal starts with run.started" : "a second run.started");
  });
}
