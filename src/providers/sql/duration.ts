/** Durations in `with` and provider config: a number of milliseconds, or `500ms`, `5s`, `2m`, `1h`. */
import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(value: number | string): number {
  if (typeof value === "number") return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(value)} (use e.g. 500ms, 5s, 2m, 1h)`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

/** A zod schema accepting a duration and producing milliseconds. */
export function durationSchema(description: string) {
  return z
    .union([z.number().int().nonnegative(), z.string().regex(/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h)\s*$/, "a duration such as 500ms, 5s, 2m")])
    .describe(description);
}
