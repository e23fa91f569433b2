/**
 * Time covered by intervals that may overlap (parallel steps, parallel attempts): each moment counts once,
 * where summing their lengths would count it as often as intervals cover it. Used by `report` and the benches.
 */

/** Total length of the union of `[start, end]` intervals (ms); an interval with a non-finite end is left out. */
export function coveredMs(spans: readonly (readonly [number, number])[]): number {
  const sorted = spans.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}
