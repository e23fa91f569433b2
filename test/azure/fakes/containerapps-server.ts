/**
 * A local HTTPS server speaking the ARM Container Apps REST contract that
 * @azure/arm-appcontainers 3 (api-version 2025-07-01) uses: GET/PUT/PATCH
 * containerApps (PUT answers 201 and PATCH 202, both with an
 * `Azure-AsyncOperation` URL polled until `Succeeded`), the revisions API
 * (list, get, deactivate), revision-scope changes creating revision
 * `<app>--<revisionSuffix>`, and ARM's checks of the traffic array. Each
 * revision answers on its own HTTPS host (its `fqdn`), and the app's ingress
 * host splits requests between revisions by the traffic weights.
 * Sources: CONFORMANCE.md.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector, readBody } from "./faults.js";
import { testCert } from "./tls.js";
import {
  effectiveWeights,
  mergePatch,
  newApp,
  newRevision,
  trafficProblem,
  type AppState,
  type RevisionState,
  type Template,
  type Traffic,
} from "./containerapps-model.js";

export interface ContainerAppsFake {
  url: string;
  apps: Map<string, AppState>;
  faults: FaultInjector;
  /** `METHOD path` of every ARM request. */
  requests: string[];
  addApp(name: string, options?: Parameters<typeof newApp>[1]): AppState;
  /** Someone else (the portal, another pipeline) sets the traffic. */
  setTraffic(app: string, traffic: Traffic[]): void;
  /** Which revisions answered the app's ingress host, by name. */
  served: Map<string, number>;
  /** The traffic array after each accepted update, in order. */
  updates: Traffic[][];
  close(): Promise<void>;
}

export interface ContainerAppsFakeOptions {
  /** Status polls before an update completes (default 2). */
  pollsPerOperation?: number;
}

const APP_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/containerApps\/([^/]+)(\/.*)?$/i;
const OP_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.App\/locations\/([^/]+)\/containerappOperationResults\/([^/]+)$/i;
const API_VERSION = "2025-07-01";

interface Operation {
  status: "InProgress" | "Succeeded" | "Failed";
  polls: number;
  startTime: string;
  complete(): void;
  error?: { code: string; message: string };
}

export async function startContainerAppsFake(opts: ContainerAppsFakeOptions = {}): Promise<ContainerAppsFake> {
  const pollsPerOperation = opts.pollsPerOperation ?? 2;
  const cert = testCert();
  const apps = new Map<string, AppState>();
  const operations = new Map<string, Operation>();
  const faults = new FaultInjector();
  const requests: string[] = [];
  const served = new Map<string, number>();
  const updates: Traffic[][] = [];
  const hosts = new Map<string, Promise<string>>();
  const servers: Server[] = [];
  let base = "";

  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const armError = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { code, message } });

  /** A loopback HTTPS host (`127.0.0.1:<port>`) answering with `handler`; one per key, made on first use. */
  function host(key: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    let h = hosts.get(key);
    if (!h) {
      const server = createServer({ key: cert.key, cert: cert.cert }, handler);
      servers.push(server);
      h = new Promise<void>((r) => server.listen(0, "127.0.0.1", r)).then(
        () => `127.0.0.1:${(server.address() as AddressInfo).port}`,
      );
      hosts.set(key, h);
    }
    return h;
  }

  /** What a revision's replicas answer. */
  function answer(appName: string, rev: RevisionState | undefined, req: IncomingMessage, res: ServerResponse): void {
    if (!rev || !rev.active) return json(res, 404, { error: "revision not active" });
    rev.requests++;
    if (rev.provisioningState !== "Provisioned") return json(res, 503, { error: "revision not ready" });
    const image = rev.template.containers[0]?.image ?? "";
    if (rev.answer.status !== 200) return json(res, rev.answer.status, { error: "unhealthy", revision: rev.name });
    json(res, 200, { app: appName, revision: rev.name, image, path: req.url }, { "x-fake-revision": rev.name });
  }

  function revisionHost(appName: string, revName: string): Promise<string> {
    // Looked up per request: tests replace apps between cases, the host stays.
    return host(`rev/${appName}/${revName}`, (req, res) =>
      answer(appName, apps.get(appName)?.revisions.get(revName), req, res),
    );
  }

  function ingressHost(appName: string): Promise<string> {
    let n = 0;
    return host(`app/${appName}`, (req, res) => {
      const app = apps.get(appName);
      if (!app) return json(res, 404, { error: "no such app" });
      // Spread evenly: any 100 consecutive requests follow the weights exactly.
      const slot = n++ % 100;
      let acc = 0;
      let chosen: string | undefined;
      for (const [rev, w] of effectiveWeights(app)) {
        acc += w;
        if (slot < acc) {
          chosen = rev;
          break;
        }
      }
      if (chosen) served.set(chosen, (served.get(chosen) ?? 0) + 1);
      answer(appName, chosen ? app.revisions.get(chosen) : undefined, req, res);
    });
  }

  async function appJson(sub: string, rg: string, app: AppState): Promise<unknown> {
    const latest = app.revisions.get(app.latestRevisionName);
    return {
      id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.App/containerApps/${app.name}`,
      name: app.name,
      type: "Microsoft.App/containerApps",
      location: app.location,
      properties: {
        provisioningState: app.provisioningState,
        runningStatus: "Running",
        managedEnvironmentId: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.App/managedEnvironments/env`,
        latestRevisionName: app.latestRevisionName,
        latestReadyRevisionName: [...app.revisions.values()].filter((r) => r.provisioningState === "Provisioned").at(-1)
          ?.name,
        latestRevisionFqdn: latest ? await revisionHost(app.name, latest.name) : undefined,
        configuration: {
          activeRevisionsMode: app.mode,
          maxInactiveRevisions: 100,
          ingress: { ...structuredClone(app.ingress), fqdn: await ingressHost(app.name) },
        },
        template: structuredClone(app.template),
      },
    };
  }

  async function revisionJson(sub: string, rg: string, app: AppState, rev: RevisionState): Promise<unknown> {
    return {
      id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.App/containerApps/${app.name}/revisions/${rev.name}`,
      name: rev.name,
      type: "Microsoft.App/containerApps/revisions",
      properties: {
        createdTime: rev.createdTime,
        fqdn: await revisionHost(app.name, rev.name),
        template: structuredClone(rev.template),
        active: rev.active,
        replicas: rev.active ? 1 : 0,
        trafficWeight: effectiveWeights(app).get(rev.name) ?? 0,
        provisioningState: rev.provisioningState,
        ...(rev.provisioningError ? { provisioningError: rev.provisioningError } : {}),
        healthState: rev.provisioningState === "Provisioned" ? "Healthy" : "None",
        runningState: rev.active ? (rev.provisioningState === "Provisioned" ? "Running" : "Processing") : "Stopped",
      },
    };
  }

  /** Apply a new app document: a changed template makes a revision (provisioned when the operation completes). */
  function update(
    app: AppState,
    props: Record<string, unknown>,
    res: ServerResponse,
    status: 201 | 202,
    sub: string,
  ): void {
    const config = (props.configuration ?? {}) as { activeRevisionsMode?: string; ingress?: { traffic?: Traffic[] } };
    const template = (props.template ?? app.template) as Template;
    const mode = config.activeRevisionsMode ?? app.mode;
    const templateChanged = JSON.stringify(template) !== JSON.stringify(app.template);
    let created: RevisionState | undefined;
    if (templateChanged) {
      const suffix =
        template.revisionSuffix && template.revisionSuffix !== app.template.revisionSuffix
          ? template.revisionSuffix
          : randomBytes(4).toString("hex");
      created = newRevision(app.name, template, suffix);
      if (app.revisions.has(created.name))
        return armError(
          res,
          400,
          "ContainerAppRevisionSuffixConflict",
          `Revision with suffix ${suffix} already exists.`,
        );
    }
    const traffic = config.ingress?.traffic ?? app.ingress.traffic;
    const problem = trafficProblem(app, traffic, mode, created?.name);
    if (problem) return armError(res, 400, "ContainerAppInvalidTrafficConfiguration", problem);

    app.mode = mode === "Single" ? "Single" : "Multiple";
    app.template = structuredClone(template);
    app.ingress = { ...app.ingress, ...(config.ingress ?? {}), traffic: structuredClone(traffic) };
    updates.push(structuredClone(traffic));
    if (created) {
      if (app.failNextRevision) {
        created.provisioningError = app.failNextRevision;
        app.failNextRevision = undefined;
      }
      app.revisions.set(created.name, created);
      app.latestRevisionName = created.name;
    }
    app.provisioningState = "InProgress";
    const id = randomBytes(8).toString("hex");
    const op: Operation = {
      status: "InProgress",
      polls: 0,
      startTime: new Date().toISOString(),
      complete() {
        if (created) created.provisioningState = created.provisioningError ? "Failed" : "Provisioned";
        app.provisioningState = "Succeeded";
        op.status = "Succeeded";
      },
    };
    operations.set(id, op);
    const asyncUrl =
      `${base}/subscriptions/${sub}/providers/Microsoft.App/locations/${app.location.replace(/\s/g, "").toLowerCase()}` +
      `/containerappOperationResults/${id}?api-version=${API_VERSION}`;
    json(
      res,
      status,
      status === 201 ? { name: app.name, properties: { provisioningState: "InProgress" } } : undefined,
      {
        "azure-asyncoperation": asyncUrl,
      },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "https://fake");
    const path = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${path}`);
    if (faults.apply(req, res, path)) return;
    if (!/^Bearer .+/.test(req.headers.authorization ?? ""))
      return armError(res, 401, "AuthenticationFailed", "no bearer token");

    const opMatch = OP_PATH.exec(path);
    if (opMatch && req.method === "GET") {
      const op = operations.get(opMatch[3] ?? "");
      if (!op) return armError(res, 404, "NotFound", "no such operation");
      if (op.status === "InProgress" && ++op.polls >= pollsPerOperation) op.complete();
      return json(res, 200, {
        id: path,
        name: opMatch[3],
        status: op.status,
        startTime: op.startTime,
        ...(op.error ? { error: op.error } : {}),
      });
    }
    const m = APP_PATH.exec(path);
    if (!m) return armError(res, 404, "NotFound", `no route ${path}`);
    const [, sub = "", rg = "", appName = "", rest = ""] = m;
    const app = apps.get(appName);
    if (!app)
      return armError(
        res,
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.App/containerApps/${appName}' under resource group '${rg}' was not found.`,
      );
    const input = body ? (JSON.parse(body) as { properties?: Record<string, unknown> }) : {};
    const revMatch = /^\/revisions\/([^/]+)(\/deactivate|\/activate)?$/.exec(rest);
    if (revMatch) {
      const rev = app.revisions.get(revMatch[1] ?? "");
      if (!rev) return armError(res, 404, "ContainerAppRevisionNotFound", `Revision '${revMatch[1]}' was not found.`);
      if (req.method === "GET" && !revMatch[2]) return json(res, 200, await revisionJson(sub, rg, app, rev));
      if (req.method === "POST" && revMatch[2]) {
        rev.active = revMatch[2] === "/activate";
        return json(res, 200);
      }
    }
    const route = `${req.method} ${rest}`;
    switch (route) {
      case "GET ":
        return json(res, 200, await appJson(sub, rg, app));
      case "GET /revisions": {
        const value = await Promise.all([...app.revisions.values()].map((r) => revisionJson(sub, rg, app, r)));
        return json(res, 200, { value });
      }
      case "PATCH ": {
        const current = (await appJson(sub, rg, app)) as { properties: Record<string, unknown> };
        const merged = mergePatch(current.properties, input.properties ?? {}) as Record<string, unknown>;
        return update(app, merged, res, 202, sub);
      }
      case "PUT ":
        return update(app, input.properties ?? {}, res, 201, sub);
      default:
        return armError(res, 404, "NotFound", `no route ${req.method} ${path}`);
    }
  }

  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    handle(req, res).catch((e: unknown) => armError(res, 500, "InternalServerError", (e as Error).message));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apps,
    faults,
    requests,
    served,
    updates,
    addApp(name, options) {
      const app = newApp(name, options);
      apps.set(name, app);
      return app;
    },
    setTraffic(appName, traffic) {
      const app = apps.get(appName);
      if (!app) throw new Error(`no app ${appName}`);
      const problem = trafficProblem(app, traffic, app.mode);
      if (problem) throw new Error(problem);
      app.ingress.traffic = structuredClone(traffic);
    },
    async close() {
      for (const s of [server, ...servers]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
