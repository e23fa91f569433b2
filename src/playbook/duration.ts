/**
 * Durations in playbooks: a number of milliseconds, or text such as "250ms",
 * "5s", "1m30s", "2h". One parser so every field reads the same way.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Parse a duration to milliseconds; throws RangeError saying what is accepted. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new RangeError(`duration must be a non-negative number of milliseconds, got ${value}`);
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (pos !== text.length || text.length === 0) {
    throw new RangeError(`"${value}" is not a duration: write e.g. 500ms, 30s, 5m, 1h or 1m30s`);
  }
  return total;
}

/** "1m 5s" style for people. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1_000);
  if (m < 60) return s ? `${m}m${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
}
