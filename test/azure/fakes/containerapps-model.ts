/**
 * State and rules of the Container Apps fake (containerapps-server.ts): apps
 * in single or multiple revision mode, their revisions, and the checks ARM
 * makes on `configuration.ingress.traffic`. Sources: CONFORMANCE.md.
 */
export interface Traffic {
  revisionName?: string;
  weight?: number;
  latestRevision?: boolean;
  label?: string;
}

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; secretRef?: string }[];
}

export interface Template {
  revisionSuffix?: string;
  containers: Container[];
  scale?: Record<string, unknown>;
}

export interface RevisionState {
  name: string;
  template: Template;
  createdTime: string;
  active: boolean;
  provisioningState: "Provisioning" | "Provisioned" | "Failed";
  provisioningError?: string;
  /** What the revision's replicas answer: 200 with its JSON, or this status. */
  answer: { status: number };
  requests: number;
}

export interface AppState {
  name: string;
  location: string;
  mode: "Single" | "Multiple";
  template: Template;
  ingress: { external: boolean; targetPort: number; transport: string; traffic: Traffic[] };
  revisions: Map<string, RevisionState>;
  latestRevisionName: string;
  provisioningState: "Succeeded" | "InProgress" | "Failed";
  /** The next new revision fails to provision with this reason (a container that does not start). */
  failNextRevision?: string;
}

export function newRevision(app: string, template: Template, suffix: string): RevisionState {
  return {
    name: `${app}--${suffix}`,
    template: structuredClone(template),
    createdTime: new Date().toISOString(),
    active: true,
    provisioningState: "Provisioning",
    answer: { status: 200 },
    requests: 0,
  };
}

/** An app in multiple revision mode with one provisioned revision `<name>--v1` taking all traffic. */
export function newApp(name: string, options: { image?: string; mode?: "Single" | "Multiple"; latest?: boolean } = {}) {
  const template: Template = {
    revisionSuffix: "v1",
    containers: [{ name: "web", image: options.image ?? "shop.azurecr.io/shop:1.0.0" }],
  };
  const first = newRevision(name, template, "v1");
  first.provisioningState = "Provisioned";
  const app: AppState = {
    name,
    location: "West Europe",
    mode: options.mode ?? "Multiple",
    template,
    ingress: {
      external: true,
      targetPort: 8080,
      transport: "auto",
      // `latestRevision: true` is what the portal and `az containerapp create` start with.
      traffic:
        options.latest === false
          ? [{ revisionName: first.name, weight: 100 }]
          : [{ latestRevision: true, weight: 100 }],
    },
    revisions: new Map([[first.name, first]]),
    latestRevisionName: first.name,
    provisioningState: "Succeeded",
  };
  return app;
}

/** RFC 7396 JSON merge patch (ContainerApps_Update: "Patches a Container App using JSON Merge Patch"). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Why ARM refuses this traffic array for `app` (undefined: it is fine). `creating`: a revision made by the same update. */
export function trafficProblem(app: AppState, traffic: Traffic[], mode: string, creating?: string): string | undefined {
  let sum = 0;
  const labels = new Set<string>();
  const withTraffic = new Set<string>();
  for (const t of traffic) {
    const weight = t.weight ?? 0;
    if (!Number.isInteger(weight) || weight < 0 || weight > 100)
      return `Traffic weight ${weight} is not between 0 and 100.`;
    if (t.latestRevision && t.revisionName) return "Traffic weight cannot have both latestRevision and revisionName.";
    if (!t.latestRevision && !t.revisionName) return "Traffic weight must name a revision or set latestRevision.";
    const rev = t.latestRevision ? (creating ?? app.latestRevisionName) : (t.revisionName ?? "");
    if (!t.latestRevision && rev !== creating && !app.revisions.has(rev)) return `Revision '${rev}' does not exist.`;
    if (t.label) {
      if (labels.has(t.label)) return `Traffic label '${t.label}' is used more than once.`;
      labels.add(t.label);
    }
    if (weight > 0) withTraffic.add(rev);
    sum += weight;
  }
  if (traffic.length > 0 && sum !== 100) return `The sum of traffic weights must be 100, got ${sum}.`;
  if (mode === "Single" && withTraffic.size > 1)
    return "Traffic can only be split between revisions in multiple revision mode.";
  return undefined;
}

/** Weights per revision name, `latestRevision` resolved. */
export function effectiveWeights(app: AppState): Map<string, number> {
  const w = new Map<string, number>();
  for (const t of app.ingress.traffic) {
    const rev = t.latestRevision ? app.latestRevisionName : (t.revisionName ?? "");
    w.set(rev, (w.get(rev) ?? 0) + (t.weight ?? 0));
  }
  return w;
}
