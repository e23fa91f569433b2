/**
 * A local HTTPS server speaking the ARM contract of Azure Front Door
 * Standard/Premium origins (Microsoft.Cdn/profiles/originGroups/origins) that
 * @azure/arm-cdn uses: GET an origin, PUT (200 replace / 201 create), PATCH
 * answered **202** with `Azure-AsyncOperation: …/providers/Microsoft.Cdn/
 * operationresults/<id>` and the origin in provisioningState Updating; the
 * operation URL answers 200 `{status: InProgress|Succeeded|Failed}`. When the
 * operation succeeds, the origin takes the new values and its deploymentStatus
 * is InProgress for a few reads (Front Door pushing the change to its edge),
 * then Succeeded. Bounds: priority 1-5, weight 1-1000. Sources: CONFORMANCE.md.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./faults.js";
import { testCert } from "./tls.js";

interface FakeOrigin {
  name: string;
  hostName: string;
  enabledState: "Enabled" | "Disabled";
  priority: number;
  weight: number;
  deploymentStatus: "NotStarted" | "InProgress" | "Succeeded" | "Failed";
  provisioningState: "Succeeded" | "Updating";
  /** Reads left while deploymentStatus is InProgress. */
  propagationReads: number;
  /** PATCH and PUT requests that reached this origin. */
  writes: number;
}

interface Operation {
  status: "InProgress" | "Succeeded" | "Failed";
  polls: number;
  apply: () => void;
}

export interface FrontDoorFake {
  url: string;
  /** `<originGroup>/<origin>` → origin (one profile is enough for the tests). */
  origins: Map<string, FakeOrigin>;
  options: { pollsPerUpdate: number; propagationReads: number };
  /** Called when an update has been applied (the operation succeeded), e.g. to "kill" the client there. */
  onApplied?: (group: string, origin: string) => void;
  /** PATCHes of these origins are never answered (and change nothing): a client can be killed while one waits. */
  holdPatches: Set<string>;
  /** PATCHes left unanswered by `holdPatches`. */
  held: number;
  addOrigin(group: string, origin: Partial<FakeOrigin> & { name: string }): FakeOrigin;
  origin(group: string, name: string): FakeOrigin;
  close(): Promise<void>;
}

const ORIGIN_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Cdn\/profiles\/([^/]+)\/originGroups\/([^/]+)\/origins\/([^/]+)$/i;
const OPERATION_PATH =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Cdn\/operationresults\/([^/]+)$/i;
const API = "api-version=2024-02-01";

export async function startFrontDoorFake(): Promise<FrontDoorFake> {
  const cert = testCert();
  const origins = new Map<string, FakeOrigin>();
  const operations = new Map<string, Operation>();
  const options = { pollsPerUpdate: 2, propagationReads: 2 };
  let base = "";

  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const armError = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { code, message } });

  const view = (sub: string, rg: string, profile: string, group: string, o: FakeOrigin) => ({
    id: `/subscriptions/${sub}/resourcegroups/${rg}/providers/Microsoft.Cdn/profiles/${profile}/origingroups/${group}/origins/${o.name}`,
    type: "Microsoft.Cdn/profiles/origingroups/origins",
    name: o.name,
    properties: {
      originGroupName: group,
      hostName: o.hostName,
      httpPort: 80,
      httpsPort: 443,
      originHostHeader: o.hostName,
      priority: o.priority,
      weight: o.weight,
      enabledState: o.enabledState,
      enforceCertificateNameCheck: true,
      provisioningState: o.provisioningState,
      deploymentStatus: o.deploymentStatus,
    },
  });

  function validate(p: Record<string, unknown>): string | undefined {
    if (p.priority !== undefined && (typeof p.priority !== "number" || p.priority < 1 || p.priority > 5))
      return "Priority must be between 1 and 5.";
    if (p.weight !== undefined && (typeof p.weight !== "number" || p.weight < 1 || p.weight > 1000))
      return "Weight must be between 1 and 1000.";
    if (p.enabledState !== undefined && p.enabledState !== "Enabled" && p.enabledState !== "Disabled")
      return "EnabledState must be Enabled or Disabled.";
    return undefined;
  }

  function applyTo(o: FakeOrigin, p: Record<string, unknown>): void {
    if (typeof p.priority === "number") o.priority = p.priority;
    if (typeof p.weight === "number") o.weight = p.weight;
    if (p.enabledState === "Enabled" || p.enabledState === "Disabled") o.enabledState = p.enabledState;
    if (typeof p.hostName === "string") o.hostName = p.hostName;
    o.provisioningState = "Succeeded";
    o.deploymentStatus = "InProgress";
    o.propagationReads = options.propagationReads;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "https://fake");
    const path = decodeURIComponent(url.pathname);
    if (!/^Bearer .+/.test(req.headers.authorization ?? ""))
      return armError(res, 401, "AuthenticationFailed", "no bearer token");

    const op = OPERATION_PATH.exec(path);
    if (op && req.method === "GET") {
      const o = operations.get(op[1] ?? "");
      if (!o) return armError(res, 404, "NotFound", "no such operation");
      o.polls++;
      if (o.status === "InProgress" && o.polls >= options.pollsPerUpdate) {
        o.apply();
        o.status = "Succeeded";
      }
      return json(res, 200, { name: op[1], status: o.status, startTime: new Date().toISOString() });
    }
    const m = ORIGIN_PATH.exec(path);
    if (!m) return armError(res, 404, "NotFound", `no route ${path}`);
    const [, sub = "", rg = "", profile = "", group = "", name = ""] = m;
    const key = `${group}/${name}`.toLowerCase();
    const origin = origins.get(key);
    const input = body ? (JSON.parse(body) as { properties?: Record<string, unknown> }) : {};
    const props = input.properties ?? {};

    switch (req.method) {
      case "GET": {
        if (!origin) return armError(res, 404, "NotFound", `origin ${name} not found in origin group ${group}`);
        // Front Door pushes a change to its edge after the resource is updated: a few reads see InProgress.
        if (origin.deploymentStatus === "InProgress" && origin.propagationReads-- <= 0)
          origin.deploymentStatus = "Succeeded";
        return json(res, 200, view(sub, rg, profile, group, origin));
      }
      case "PUT": {
        const invalid = validate(props);
        if (invalid) return armError(res, 400, "BadRequest", invalid);
        const o = origin ?? fake.addOrigin(group, { name, hostName: String(props.hostName ?? `${name}.example`) });
        o.writes++;
        applyTo(o, props);
        return json(res, origin ? 200 : 201, view(sub, rg, profile, group, o));
      }
      case "PATCH": {
        if (!origin) return armError(res, 404, "NotFound", `origin ${name} not found in origin group ${group}`);
        const invalid = validate(props);
        if (invalid) return armError(res, 400, "BadRequest", invalid);
        if (fake.holdPatches.has(name)) {
          fake.held++;
          return;
        }
        origin.writes++;
        origin.provisioningState = "Updating";
        const id = randomBytes(6).toString("hex");
        operations.set(id, {
          status: "InProgress",
          polls: 0,
          apply: () => {
            applyTo(origin, props);
            fake.onApplied?.(group, name);
          },
        });
        return json(res, 202, view(sub, rg, profile, group, origin), {
          "azure-asyncoperation": `${base}/subscriptions/${sub}/resourcegroups/${rg}/providers/Microsoft.Cdn/operationresults/${id}?${API}`,
        });
      }
      default:
        return armError(res, 405, "MethodNotAllowed", `${req.method ?? ""} not supported`);
    }
  }

  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) armError(res, 500, "InternalServerError", String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FrontDoorFake = {
    url: base,
    origins,
    options,
    holdPatches: new Set(),
    held: 0,
    addOrigin(group, o) {
      const origin: FakeOrigin = {
        hostName: `${o.name}.azurewebsites.net`,
        enabledState: "Enabled",
        priority: 1,
        weight: 1000,
        deploymentStatus: "NotStarted",
        provisioningState: "Succeeded",
        propagationReads: 0,
        writes: 0,
        ...o,
      };
      origins.set(`${group}/${o.name}`.toLowerCase(), origin);
      return origin;
    },
    origin(group, name) {
      const o = origins.get(`${group}/${name}`.toLowerCase());
      if (!o) throw new Error(`no origin ${group}/${name}`);
      return o;
    },
    async close() {
      await new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    },
  };
  return fake;
}
