/** The zod schema of a duration field (the grammar and the ranges: core/duration.ts). */
import { z } from "zod";
import {
  DURATION_GRAMMAR_HINT,
  DURATION_PATTERN,
  formatDuration,
  parseDuration,
  type DurationRange,
} from "./duration.js";

/** Why `ms` is outside `range`, or undefined when it fits. */
function durationRangeProblem(ms: number, range: DurationRange): string | undefined {
  if (ms < range.min) return `must be at least ${formatDuration(range.min)}`;
  if (ms > range.max) return `must be at most ${formatDuration(range.max)}`;
  return undefined;
}

/**
 * The zod schema of a duration field: a number of milliseconds or duration
 * text, in `range`. It keeps the value as written ("30s"): schemas also make
 * JSON Schema and docs, and actions call parseDuration when they run.
 */
export function durationSchema(description: string, range: DurationRange) {
  const tooShort = `must be at least ${formatDuration(range.min)}`;
  const tooLong = `must be at most ${formatDuration(range.max)}`;
  const ms = z
    .number()
    .refine(Number.isInteger, {
      message: "a bare number is a whole number of milliseconds; write e.g. 1500 or 1.5s",
      abort: true,
    })
    .min(range.min, tooShort)
    .max(range.max, tooLong);
  const text = z
    .string()
    .regex(DURATION_PATTERN, DURATION_GRAMMAR_HINT)
    .superRefine((v, ctx) => {
      if (!DURATION_PATTERN.test(v)) return; // reported by the regex
      const why = durationRangeProblem(parseDuration(v), range);
      if (why) ctx.addIssue({ code: "custom", message: `${v} is out of range: ${why}` });
    });
  // The docs show the range from the JSON Schema's minimum/maximum, so the description stays the caller's.
  return z.union([ms, text]).describe(description);
}
