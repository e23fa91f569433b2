/**
 * The time axis of the report's timeline. A release that waited ten hours at a gate for thirty seconds of work
 * would draw its steps as slivers at both ends; so a wait longer than a sixth of the run is drawn shortened, at a
 * fixed width, marked as shortened, and the rest of the time shares the axis linearly.
 */
export interface TimeScale {
  /** The x position of a time (ms since the epoch). */
  x(t: number): number;
  /** The shortened waits: their times and where they are drawn. */
  breaks: { from: number; to: number; x0: number; x1: number }[];
}

const BREAK_PX = 48;
const LONG = 1 / 6;

export function timeScale(t0: number, t1: number, waits: [number, number][], x0: number, width: number): TimeScale {
  const span = Math.max(1, t1 - t0);
  const linear: TimeScale = { x: (t) => x0 + ((t - t0) / span) * width, breaks: [] };
  const long = merge(waits.map(([a, b]) => [Math.max(t0, a), Math.min(t1, b)] as [number, number])).filter(
    ([a, b]) => b - a > span * LONG,
  );
  const rest = span - long.reduce((n, [a, b]) => n + (b - a), 0);
  const room = width - long.length * BREAK_PX;
  if (long.length === 0 || rest <= 0 || room < width * 0.3) return linear;
  const perMs = room / rest;
  const x = (t: number): number => {
    let pos = x0;
    let cursor = t0;
    for (const [a, b] of long) {
      if (t <= a) return pos + (t - cursor) * perMs;
      pos += (a - cursor) * perMs;
      if (t <= b) return pos + ((t - a) / (b - a)) * BREAK_PX;
      pos += BREAK_PX;
      cursor = b;
    }
    return pos + (t - cursor) * perMs;
  };
  return { x, breaks: long.map(([from, to]) => ({ from, to, x0: x(from), x1: x(to) })) };
}

function merge(spans: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...spans].filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0])) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
