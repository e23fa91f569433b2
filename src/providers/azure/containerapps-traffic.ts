/**
 * The `configuration.ingress.traffic` array of a Container App (ARM
 * TrafficWeight: revisionName, weight, latestRevision, label) as weights per
 * revision. `latestRevision: true` follows whatever revision is newest, so a
 * new revision would take its traffic the moment it exists: every write pins
 * it to the revision it names now (docs/azure-containerapps.md).
 */
import type { Weights } from "../../core/traffic.js";

/** One entry of `configuration.ingress.traffic` (Microsoft.App TrafficWeight). */
export interface TrafficEntry {
  revisionName?: string;
  weight?: number;
  latestRevision?: boolean;
  label?: string;
}

/** Each entry named by its revision: `latestRevision` entries become the latest revision's name. */
export function pinTraffic(traffic: readonly TrafficEntry[], latestRevisionName: string | undefined): TrafficEntry[] {
  return traffic.map((t) => {
    const revisionName = t.latestRevision ? latestRevisionName : t.revisionName;
    const pinned: TrafficEntry = { revisionName, weight: t.weight ?? 0 };
    if (t.label) pinned.label = t.label;
    return pinned;
  });
}

export function weightsOf(pinned: readonly TrafficEntry[]): Weights {
  const w: Weights = {};
  for (const t of pinned) if (t.revisionName) w[t.revisionName] = (w[t.revisionName] ?? 0) + (t.weight ?? 0);
  return w;
}

/** label → revision name. */
export function labelsOf(pinned: readonly TrafficEntry[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const t of pinned) if (t.label && t.revisionName) labels[t.label] = t.revisionName;
  return labels;
}

/**
 * The traffic array for `weights`, keeping every label on its revision: one entry per revision with traffic or
 * a label (a revision with several labels gets one more entry per label, at weight 0).
 */
export function trafficFor(weights: Weights, labels: Record<string, string>): TrafficEntry[] {
  const byRevision = new Map<string, string[]>();
  for (const [label, rev] of Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))
    byRevision.set(rev, [...(byRevision.get(rev) ?? []), label]);
  const revisions = [...new Set([...Object.keys(weights).filter((r) => (weights[r] ?? 0) > 0), ...byRevision.keys()])];
  return revisions.flatMap((revisionName) => {
    const [first, ...more] = byRevision.get(revisionName) ?? [];
    const head: TrafficEntry = { revisionName, weight: weights[revisionName] ?? 0, ...(first ? { label: first } : {}) };
    return [head, ...more.map((label) => ({ revisionName, weight: 0, label }))];
  });
}
