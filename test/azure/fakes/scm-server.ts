/**
 * A local HTTPS server speaking the part of the SCM (Kudu) REST contract that
 * OneDeploy uses: `POST /api/publish?type=…&async=true` (bearer token; 202
 * with `Location: …/api/deployments/latest` and `SCM-DEPLOYMENT-ID`; 409
 * while a deployment is in progress), `GET /api/deployments/<id|latest>`
 * (Kudu's DeployResult: `status` 0 pending … 3 failed, 4 success,
 * `status_text`, `complete`, `active`). A deployment completes after a number
 * of status reads or on its own after a while, as Kudu finishes it whether or
 * not anybody polls. Sources: CONFORMANCE.md.
 *
 * Each slot's SCM site is its own server (its own host:port), which the fake
 * ARM reports as the site's `Repository` host name (`arm.scmHosts`).
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { testCert } from "./tls.js";

interface FakeDeployment {
  id: string;
  type: string;
  /** The `path` query parameter (where on the site the artifact goes), when given. */
  path?: string;
  /** sha256 of the uploaded package. */
  sha256: string;
  status: number;
  statusText: string;
  polls: number;
  startedAt: number;
  /** Whether this deployment will fail (its status_text then says why). */
  fail?: string;
}

export interface ScmSlot {
  app: string;
  slot: string;
  host: string;
  /** Every POST /api/publish that reached the site (accepted or refused). */
  posts: number;
  deployments: FakeDeployment[];
  /** The package the slot serves: the sha256 of the last successful deployment. */
  active?: string;
  /** The next deployment fails with this reason. */
  failNext?: string;
  /** The next N reads of a deployment by id (not `latest`) answer 503 (a site restarting, a front end hiccup). */
  failReads?: number;
}

export interface ScmFake {
  slots: Map<string, ScmSlot>;
  /** Status reads before a deployment completes (default 2). */
  options: { pollsToComplete: number; completesAfterMs: number };
  /** The SCM site of app/slot (started on first use): its host name for the fake ARM's `Repository` entry. */
  site(app: string, slot: string): Promise<ScmSlot>;
  close(): Promise<void>;
}

export async function startScmFake(): Promise<ScmFake> {
  const cert = testCert();
  const slots = new Map<string, ScmSlot>();
  const servers: Server[] = [];
  const options = { pollsToComplete: 2, completesAfterMs: 20_000 };

  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers });
    res.end(body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
  };

  function advance(d: FakeDeployment, s: ScmSlot, poll: boolean): void {
    if (d.status === 3 || d.status === 4) return;
    if (poll) d.polls++;
    if (d.polls < options.pollsToComplete && Date.now() - d.startedAt < options.completesAfterMs) {
      d.status = d.polls === 0 ? 0 : 2;
      d.statusText = d.status === 0 ? "Receiving changes." : "Deploying";
      return;
    }
    if (d.fail) {
      d.status = 3;
      d.statusText = d.fail;
    } else {
      d.status = 4;
      d.statusText = "";
      s.active = d.sha256;
    }
  }

  function view(d: FakeDeployment, s: ScmSlot) {
    return {
      id: d.id,
      status: d.status,
      status_text: d.statusText,
      author: "N/A",
      deployer: "OneDeploy",
      message: "OneDeploy",
      progress: "",
      received_time: new Date(d.startedAt).toISOString(),
      complete: d.status === 3 || d.status === 4,
      active: d.status === 4 && s.active === d.sha256 && s.deployments.at(-1) === d,
      is_temp: false,
      is_readonly: true,
      site_name: s.app,
    };
  }

  async function handle(s: ScmSlot, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!/^Bearer .+/.test(req.headers.authorization ?? "")) return json(res, 401, "Unauthorized");
    const url = new URL(req.url ?? "/", "https://fake");
    const running = s.deployments.find((d) => {
      advance(d, s, false);
      return d.status < 3;
    });
    if (req.method === "POST" && url.pathname === "/api/publish") {
      s.posts++;
      const type = url.searchParams.get("type");
      if (!type || !["zip", "war", "jar", "ear", "static", "startup", "lib"].includes(type))
        return json(res, 400, `unknown type ${type ?? "(none)"}`);
      if (running)
        return json(res, 409, "There is a deployment currently in progress. Please try again when it completes.", {
          "scm-deployment-id": running.id,
        });
      const d: FakeDeployment = {
        id: randomUUID(),
        type,
        path: url.searchParams.get("path") ?? undefined,
        sha256: createHash("sha256").update(Buffer.concat(chunks)).digest("hex"),
        status: 0,
        statusText: "Receiving changes.",
        polls: 0,
        startedAt: Date.now(),
        fail: s.failNext,
      };
      s.failNext = undefined;
      s.deployments.push(d);
      if (url.searchParams.get("async") !== "true") {
        // Synchronous: the answer waits for the deployment (cutover always asks for async).
        d.polls = options.pollsToComplete;
        advance(d, s, false);
        return json(res, d.status === 4 ? 200 : 400, d.status === 4 ? undefined : d.statusText);
      }
      return json(res, 202, undefined, {
        location: `https://${s.host}/api/deployments/latest?deployer=OneDeploy&time=${Date.now()}`,
        "scm-deployment-id": d.id,
      });
    }
    const m = /^\/api\/deployments\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && m) {
      if ((s.failReads ?? 0) > 0 && m[1] !== "latest") {
        s.failReads = (s.failReads ?? 0) - 1;
        return json(res, 503, "Service Unavailable");
      }
      const id = decodeURIComponent(m[1] ?? "");
      const d = id === "latest" ? s.deployments.at(-1) : s.deployments.find((x) => x.id === id);
      if (!d) return json(res, 404, { Message: `deployment ${id} not found` });
      advance(d, s, true);
      return json(res, 200, view(d, s));
    }
    return json(res, 404, { Message: `no route ${req.method ?? ""} ${url.pathname}` });
  }

  return {
    slots,
    options,
    async site(app, slot) {
      const key = `${app}/${slot}`;
      const existing = slots.get(key);
      if (existing) return existing;
      const s: ScmSlot = { app, slot, host: "", posts: 0, deployments: [] };
      const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
        handle(s, req, res).catch((e: unknown) => {
          if (!res.headersSent) json(res, 500, String(e));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      servers.push(server);
      s.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      slots.set(key, s);
      return s;
    },
    async close() {
      await Promise.all(
        servers.map(
          (srv) =>
            new Promise<void>((r) => {
              srv.closeAllConnections();
              srv.close(() => r());
            }),
        ),
      );
    },
  };
}
