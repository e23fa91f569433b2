/**
 * A local HTTPS server speaking the ARM App Service REST contract that
 * @azure/arm-appservice v19 uses for slots: sites and slots, app settings
 * (list/replace), connection strings, sticky slot config names, site config
 * (linuxFxVersion), start/stop/restart, swap as a long-running operation the
 * way App Service answers it (202 + Location to …/operationresults/<id>; 202
 * while running, 200 when done, 400 when the swap failed), swap with preview
 * (applySlotConfig / resetSlotConfig; refused with 409 when site
 * authentication is on), a failed swap leaving the slots "prepared for swap"
 * (settings writes 409 until resetSlotConfig), and 409 while any operation
 * (ours or someone else's) is in progress. Sources: CONFORMANCE.md.
 * Each slot also gets its own HTTPS "site" (its defaultHostName) for warm-up.
 * Faults: see faults.ts; `latencyMs` delays every ARM answer (benchmarks).
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector, readBody } from "./faults.js";
import { testCert } from "./tls.js";
import {
  applyPreview,
  completeSwap,
  newApp,
  preparedForSwap,
  resetPreview,
  versionOf,
  type AppState,
  type Operation,
  type SlotState,
} from "./arm-model.js";

export interface ArmFakeOptions {
  latencyMs?: number;
  /** Status polls before a swap completes (default 3). */
  pollsPerSwap?: number;
  /** A swap also completes on its own after this long, as Azure does with nobody polling (default 20 s). */
  swapCompletesAfterMs?: number;
  /** Start per-slot warm-up sites (default true). */
  sites?: boolean;
}

export interface ArmFake {
  url: string;
  apps: Map<string, AppState>;
  faults: FaultInjector;
  /** `METHOD path` of every ARM request. */
  requests: string[];
  /** `app/slot` → the SCM (Kudu) host a site reports as its `Repository` host name (scm-server.ts). */
  scmHosts: Map<string, string>;
  addApp(name: string, options?: Parameters<typeof newApp>[1]): AppState;
  /** Someone else starts an operation on the app (`OperationName` in the 409), lasting `ms`. */
  busyWith(app: string, operationName: string, ms: number): void;
  slot(app: string, slot: string): SlotState;
  options: Required<ArmFakeOptions>;
  close(): Promise<void>;
}

const SITE_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)(?:\/slots\/([^/]+))?(\/.*)?$/i;

export async function startArmFake(opts: ArmFakeOptions = {}): Promise<ArmFake> {
  const options: Required<ArmFakeOptions> = {
    latencyMs: 0,
    pollsPerSwap: 3,
    swapCompletesAfterMs: 20_000,
    sites: true,
    ...opts,
  };
  const cert = testCert();
  const apps = new Map<string, AppState>();
  const operations = new Map<string, Operation>();
  const faults = new FaultInjector();
  const requests: string[] = [];
  const scmHosts = new Map<string, string>();
  const siteServers = new Map<string, { server: Server; port: number }>();
  let base = "";

  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const armError = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { code, message } });

  function finish(op: Operation): void {
    if (op.status !== "InProgress") return;
    const app = apps.get(op.app);
    const source = app?.slots.get(op.source);
    const target = app?.slots.get(op.target);
    if (!app || !source || !target || app.operation !== op) {
      // The app was replaced (tests reset the fake between cases): a leftover operation never touches the new one.
      op.status = "Failed";
      return;
    }
    if ((app.failSwaps ?? 0) > 0) {
      // A swap that fails part-way (a slot that did not warm up) leaves both slots prepared for swap.
      app.failSwaps = (app.failSwaps ?? 0) - 1;
      applyPreview(app, source, target);
      op.status = "Failed";
      app.operation = undefined;
      return;
    }
    completeSwap(app, source, target, new Date());
    op.status = "Succeeded";
    app.operation = undefined;
  }

  /** Azure finishes a swap whether or not anybody polls it. */
  function tick(app: AppState): void {
    const op = app.operation;
    if (op?.kind === "other" && Date.now() - op.startedAt >= (op.durationMs ?? 0)) app.operation = undefined;
    else if (op && Date.now() - op.startedAt >= options.swapCompletesAfterMs) finish(op);
  }

  async function siteHost(app: AppState, slot: SlotState): Promise<string> {
    const appName = app.name;
    const slotName = slot.name;
    const key = `${appName}/${slotName}`;
    let s = siteServers.get(key);
    if (!s && options.sites) {
      // Look the slot up per request: tests replace apps between cases, the site server stays.
      const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
        const slot = apps.get(appName)?.slots.get(slotName);
        if (!slot) return json(res, 404, { error: "no such site" });
        slot.warmup.requests++;
        if (slot.state === "Stopped") return json(res, 403, { error: "site stopped" });
        if (slot.warmup.failFirst > 0) {
          slot.warmup.failFirst--;
          return json(res, slot.warmup.failStatus, { error: "cold" });
        }
        if (slot.warmup.goodAnswersLeft !== undefined) {
          if (slot.warmup.goodAnswersLeft <= 0) return json(res, slot.warmup.failStatus, { error: "unhealthy" });
          slot.warmup.goodAnswersLeft--;
        }
        json(res, 200, { app: appName, slot: slotName, version: versionOf(slot), path: req.url });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      s = { server, port: (server.address() as AddressInfo).port };
      siteServers.set(key, s);
    }
    return s
      ? `127.0.0.1:${s.port}`
      : `${app.name}${slot.name === "production" ? "" : "-" + slot.name}.azurewebsites.net`;
  }

  async function siteJson(sub: string, rg: string, app: AppState, slot: SlotState): Promise<unknown> {
    const id =
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${app.name}` +
      `${slot.name === "production" ? "" : "/slots/" + slot.name}`;
    const host = await siteHost(app, slot);
    const scm = scmHosts.get(`${app.name}/${slot.name}`) ?? host.replace(/^([^.:]+)/, "$1.scm");
    return {
      id,
      name: slot.name === "production" ? app.name : `${app.name}/${slot.name}`,
      type: slot.name === "production" ? "Microsoft.Web/sites" : "Microsoft.Web/sites/slots",
      location: app.location,
      kind: "app,linux",
      properties: {
        state: slot.state,
        availabilityState: "Normal",
        defaultHostName: host,
        hostNameSslStates: [
          { name: host, hostType: "Standard", sslState: "Disabled" },
          { name: scm, hostType: "Repository", sslState: "Disabled" },
        ],
        slotSwapStatus: slot.slotSwapStatus,
        targetSwapSlot: slot.targetSwapSlot ?? null,
        inProgressOperationId: app.operation?.id ?? null,
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "https://fake");
    const path = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${path}`);
    if (options.latencyMs > 0) await new Promise((r) => setTimeout(r, options.latencyMs));
    if (faults.apply(req, res, path)) return;
    if (!/^Bearer .+/.test(req.headers.authorization ?? ""))
      return armError(res, 401, "AuthenticationFailed", "no bearer token");

    const m = SITE_PATH.exec(path);
    if (!m) return armError(res, 404, "NotFound", `no route ${path}`);
    const [, sub = "", rg = "", appName = "", slotName = "production", rest = ""] = m;
    const app = apps.get(appName);
    if (!app)
      return armError(
        res,
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.Web/sites/${appName}' under resource group '${rg}' was not found.`,
      );
    tick(app);
    const slot = app.slots.get(slotName);
    if (!slot)
      return armError(
        res,
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.Web/sites/${appName}/slots/${slotName}' was not found.`,
      );
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    // The message App Service gives (azure-pipelines-tasks #11384); cutover classifies 409s by it.
    const busy = () =>
      armError(
        res,
        409,
        "Conflict",
        `Cannot modify this site because another operation is in progress. Details: Id: ${app.operation?.id}, ` +
          `OperationName: ${app.operation?.name}, CreatedTime: ` +
          `${new Date(app.operation?.startedAt ?? 0).toISOString()}`,
      );
    const prepared = () =>
      armError(
        res,
        409,
        "Conflict",
        "The slot cannot be changed because its configuration settings have been prepared for swap.",
      );
    const settingsWrite = /^PUT \/config\/(appsettings|connectionstrings)$|^(PUT|PATCH) \/config\/web$/.test(
      `${req.method} ${rest}`,
    );
    if (settingsWrite && app.operation) return busy();
    if (settingsWrite && preparedForSwap(slot)) return prepared();
    const opResult = /^\/operationresults\/([^/]+)$/.exec(rest);
    if (req.method === "GET" && opResult) {
      const op = operations.get(opResult[1] ?? "");
      if (!op) return armError(res, 404, "NotFound", "no such operation");
      op.polls++;
      if (op.polls >= options.pollsPerSwap) finish(op);
      if (op.status === "InProgress")
        return json(res, 202, undefined, { location: `${base}${path}?api-version=2025-05-01` });
      if (op.status === "Failed")
        return armError(res, 400, "BadRequest", `Failed to swap web app slots: ${op.source} → ${op.target}.`);
      return json(res, 200);
    }
    const route = `${req.method} ${rest}`;

    switch (route) {
      case "GET ":
        return json(res, 200, await siteJson(sub, rg, app, slot));
      case "POST /config/appsettings/list":
        return json(res, 200, { name: "appsettings", properties: slot.appSettings });
      case "PUT /config/appsettings":
        slot.appSettings = { ...((input.properties as Record<string, string>) ?? {}) };
        slot.restarts++;
        return json(res, 200, { name: "appsettings", properties: slot.appSettings });
      case "POST /config/connectionstrings/list":
        return json(res, 200, { name: "connectionstrings", properties: slot.connectionStrings });
      case "GET /config/slotConfigNames":
        return json(res, 200, { name: "slotConfigNames", properties: app.sticky });
      case "PUT /config/slotConfigNames": {
        const p = (input.properties ?? {}) as { appSettingNames?: string[]; connectionStringNames?: string[] };
        app.sticky = { appSettingNames: p.appSettingNames ?? [], connectionStringNames: p.connectionStringNames ?? [] };
        return json(res, 200, { name: "slotConfigNames", properties: app.sticky });
      }
      case "GET /config/web":
        return json(res, 200, {
          name: "web",
          properties: { linuxFxVersion: slot.linuxFxVersion, experiments: { rampUpRules: slot.rampUpRules ?? [] } },
        });
      case "GET /slots": {
        const value = [];
        for (const s of app.slots.values()) if (s.name !== "production") value.push(await siteJson(sub, rg, app, s));
        return json(res, 200, { value });
      }
      case "PATCH /config/web":
      case "PUT /config/web": {
        const p = (input.properties ?? {}) as {
          linuxFxVersion?: string;
          experiments?: { rampUpRules?: SlotState["rampUpRules"] };
        };
        if (typeof p.linuxFxVersion === "string") slot.linuxFxVersion = p.linuxFxVersion;
        if (p.experiments) slot.rampUpRules = structuredClone(p.experiments.rampUpRules ?? []);
        slot.restarts++;
        return json(res, 200, { name: "web", properties: { linuxFxVersion: slot.linuxFxVersion } });
      }
      case "POST /start":
        slot.state = "Running";
        return json(res, 200);
      case "POST /stop":
        slot.state = "Stopped";
        return json(res, 200);
      case "POST /restart":
        slot.restarts++;
        return json(res, 200);
      case "POST /applySlotConfig": {
        if (app.operation) return busy();
        if (app.authEnabled) {
          return armError(
            res,
            409,
            "Conflict",
            "Swap with Preview cannot be used when one of the slots has site authentication enabled.",
          );
        }
        const target = app.slots.get(String(input.targetSlot ?? ""));
        if (!target) return armError(res, 400, "BadRequest", `unknown target slot ${String(input.targetSlot)}`);
        applyPreview(app, slot, target);
        return json(res, 200);
      }
      case "POST /resetSlotConfig":
        if (app.operation) return busy();
        resetPreview(app, slot);
        return json(res, 200);
      case "POST /slotsswap": {
        if (app.operation) return busy();
        const target = app.slots.get(String(input.targetSlot ?? ""));
        if (!target || target === slot)
          return armError(res, 400, "BadRequest", `invalid target slot ${String(input.targetSlot)}`);
        if (typeof input.preserveVnet !== "boolean")
          return armError(res, 400, "BadRequest", "preserveVnet is required");
        const id = randomBytes(6).toString("hex");
        const op: Operation = {
          id,
          app: app.name,
          kind: "swap",
          name: "SwapSiteSlots",
          source: slot.name,
          target: target.name,
          polls: 0,
          startedAt: Date.now(),
          status: "InProgress",
        };
        operations.set(op.id, op);
        app.operation = op;
        // App Service answers a swap with Location only (no Azure-AsyncOperation).
        const sitePath = path.slice(0, path.length - rest.length);
        return json(res, 202, undefined, {
          location: `${base}${sitePath}/operationresults/${id}?api-version=2025-05-01`,
        });
      }
      default:
        return armError(res, 404, "NotFound", `no route ${route}`);
    }
  }

  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) armError(res, 500, "InternalServerError", String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apps,
    faults,
    requests,
    scmHosts,
    options,
    addApp(name, o) {
      const app = newApp(name, o);
      apps.set(name, app);
      return app;
    },
    busyWith(appName, operationName, ms) {
      const app = apps.get(appName);
      if (!app) throw new Error(`no app ${appName}`);
      const id = randomBytes(6).toString("hex");
      app.operation = {
        id,
        app: appName,
        kind: "other",
        name: operationName,
        source: "",
        target: "",
        polls: 0,
        startedAt: Date.now(),
        durationMs: ms,
        status: "InProgress",
      };
    },
    slot(app, slot) {
      const s = apps.get(app)?.slots.get(slot);
      if (!s) throw new Error(`no slot ${app}/${slot}`);
      return s;
    },
    async close() {
      cert.cleanup(); // the key and certificate files; the servers keep them in memory
      const all = [server, ...[...siteServers.values()].map((s) => s.server)];
      await Promise.all(
        all.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      );
    },
  };
}
