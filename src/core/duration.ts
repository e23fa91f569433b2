/**
 * Durations, one grammar for every field that takes one (step timeouts,
 * retry delays, lease TTLs, gate expiry, action inputs, provider settings):
 *
 *   - a whole number of milliseconds: `1500` (YAML number) or `"1500"`;
 *   - or parts `<number><unit>` with units `d`, `h`, `m`, `s`, `ms`, largest
 *     first, each at most once, no spaces: `500ms`, `30s`, `1m30s`, `1.5h`, `2d`.
 *
 * `5 s`, `30s1m`, `1h1h`, `1e3` and `0.5` (a fraction of a millisecond) are
 * refused. Text with decimals is rounded to the millisecond. Each field also
 * has a range (DURATION_RANGES): a value outside it is refused where it is
 * written, at validation, so no timer is ever handed more than it can hold.
 * docs/playbook.md#durations documents this once; keep the two in step.
 * The zod schema of a duration field is in core/duration-schema.ts: this module loads no zod.
 */
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const UNIT_MS: Readonly<Record<string, number>> = { d: DAY, h: HOUR, m: MINUTE, s: SECOND, ms: 1 };
const NUM = String.raw`\d+(?:\.\d+)?`;

/** The grammar as one regular expression; `cutover schema` gives it to editors as the JSON Schema `pattern`. */
export const DURATION_PATTERN = new RegExp(
  String.raw`^(?:\d+|(?=\d)(?:${NUM}d)?(?:${NUM}h)?(?:${NUM}m(?!s))?(?:${NUM}s)?(?:${NUM}ms)?)$`,
);
const PART = new RegExp(String.raw`(${NUM})(ms|d|h|m|s)`, "g");

export const DURATION_GRAMMAR_HINT =
  "must be a duration such as 500ms, 30s, 5m, 1m30s, 2h or 1d " +
  "(units largest first, no spaces; a bare number is milliseconds)";

/** Parse a duration to whole milliseconds; throws RangeError (saying what is accepted) for anything else. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new RangeError(`${value} is not a duration: a bare number is a whole number of milliseconds (0 or more)`);
  }
  if (!DURATION_PATTERN.test(value)) throw new RangeError(`${JSON.stringify(value)} ${DURATION_GRAMMAR_HINT}`);
  if (/^\d+$/.test(value)) return Number(value);
  let total = 0;
  for (const m of value.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return Math.round(total);
}

/** What a field accepts, in milliseconds (both ends included). */
export interface DurationRange {
  min: number;
  max: number;
}

/**
 * The range of each kind of duration field. Why these bounds: docs/playbook.md#durations.
 * Every maximum is far below the 24.8 days (2^31 - 1 ms) a Node.js timer holds.
 */
export const DURATION_RANGES = {
  /** A time limit on an attempt, an undo, a deadline: held by one timer for the whole step. */
  timeout: { min: 1, max: 7 * DAY },
  /** A pause between tries (retry backoff, polling interval, throttle): longer is a gate's job. */
  pause: { min: 0, max: DAY },
  /** A lease's time to live: renewed every third of it; too short flaps, too long blocks after a crash. */
  leaseTtl: { min: 5 * SECOND, max: DAY },
  /** A database session's lock_timeout / statement_timeout (0 disables): PostgreSQL holds up to 24.8 days. */
  sqlSession: { min: 0, max: DAY },
  /** How long a gate waits for approval: checked by date, not held by a timer. */
  gateExpiry: { min: 1, max: 90 * DAY },
  /** Any other duration input of an action or provider (0 where the field says it means "none"). */
  any: { min: 0, max: 7 * DAY },
} as const satisfies Record<string, DurationRange>;

/** "1m5s" style for people. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0).replace(/\.0$/, "")}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1_000);
  if (m < 60) return s ? `${m}m${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ""}`;
}
