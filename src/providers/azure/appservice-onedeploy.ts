/**
 * OneDeploy on a slot's SCM (Kudu) site: `POST /api/publish?type=…&async=true`
 * with the package as the body, then the deployment's status from
 * `GET /api/deployments/<id>`. This is how `az webapp deploy` ships Python and
 * Java apps, for which WEBSITE_RUN_FROM_PACKAGE is not supported on Linux.
 *
 * Sources (test/azure/fakes/CONFORMANCE.md): "Deploy files to App Service"
 * (learn.microsoft.com/azure/app-service/deploy-zip, the OneDeploy REST call
 * and its `type` values), the Kudu wiki "REST API" and "Deploying from a zip
 * file or url" (async 202 + `Location`, `/api/deployments/<id>`), Kudu's
 * `DeployStatus` enum (Pending 0, Building 1, Deploying 2, Failed 3,
 * Success 4, Complete 5) and the `SCM-DEPLOYMENT-ID` answer header that the Azure SDKs
 * and VS Code's App Service extension read.
 *
 * Auth is a Microsoft Entra bearer token for the ARM audience: the SCM site
 * accepts it (the docs' REST example uses `az account get-access-token`), so
 * no publishing credential (basic auth, often disabled by policy) is needed.
 * Plain node:https, because the SDK pipelines only speak ARM and global
 * fetch cannot trust a private CA (the test fakes' certificate).
 */
import { createReadStream, statSync } from "node:fs";
import { request } from "node:https";

/** What the SCM client needs from the provider: a token and the extra CA to trust. */
export interface ScmAccess {
  token(signal?: AbortSignal): Promise<string>;
  tlsCa?: string;
}

export type OneDeployType = "zip" | "war" | "jar" | "ear" | "static" | "startup" | "lib";

/** A deployment as Kudu reports it (the fields cutover reads). */
export interface ScmDeployment {
  id: string;
  /** Kudu's DeployStatus: 0 pending, 1 building, 2 deploying, 3 failed, 4 success, 5 complete. */
  status: number;
  statusText: string;
  complete: boolean;
  active: boolean;
}

const DEPLOY_FAILED = 3;
const DEPLOY_SUCCESS = 4;
/** Kudu's DeployStatus also has 5 (Complete). */
const DEPLOY_COMPLETE = 5;

/** Where a deployment stands: still running, or finished well or badly. */
export function deploymentOutcome(d: ScmDeployment): "running" | "succeeded" | "failed" {
  if (d.status === DEPLOY_FAILED) return "failed";
  if (d.status === DEPLOY_SUCCESS || d.status === DEPLOY_COMPLETE || d.complete) return "succeeded";
  return "running";
}

/** An answer of the SCM site that is not what the call expects. */
export class ScmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly operation: string,
    readonly body: string,
  ) {
    super(`${operation}: HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ""}`);
  }
}

/** Socket idle limits: a status read, and an upload (between chunks, and for the 202 once sent). */
const READ_TIMEOUT_MS = 60_000;
const UPLOAD_IDLE_TIMEOUT_MS = 300_000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class OneDeployClient {
  constructor(
    /** https://<app>[-<slot>].scm.azurewebsites.net (from the site's Repository host name). */
    readonly baseUrl: string,
    private readonly access: ScmAccess,
  ) {}

  private async send(
    method: string,
    pathAndQuery: string,
    signal: AbortSignal | undefined,
    file?: string,
  ): Promise<Answer> {
    const token = await this.access.token(signal);
    const url = new URL(pathAndQuery, this.baseUrl);
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (file !== undefined) {
      headers["content-type"] = "application/octet-stream";
      headers["content-length"] = statSync(file).size;
    }
    return new Promise<Answer>((resolve, reject) => {
      const req = request(url, { method, headers, ca: this.access.tlsCa, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      // No answer at all (a hung connection) must not hold the step until its own timeout.
      req.setTimeout(file === undefined ? READ_TIMEOUT_MS : UPLOAD_IDLE_TIMEOUT_MS, () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer from the SCM site`)),
      );
      if (file === undefined) req.end();
      else createReadStream(file).on("error", reject).pipe(req);
    });
  }

  /**
   * Start a OneDeploy of `file`. Returns the deployment id from `SCM-DEPLOYMENT-ID`, or, when an older
   * site leaves it out, from the deployment the `Location` header names.
   */
  async publish(
    file: string,
    type: OneDeployType,
    signal?: AbortSignal,
    targetPath?: string,
  ): Promise<{ id: string; conflict?: undefined } | { conflict: string; id?: undefined }> {
    const query = new URLSearchParams({ type, async: "true" });
    // `path`: where on the site the artifact goes (static files, libraries, startup scripts elsewhere than wwwroot).
    if (targetPath !== undefined) query.set("path", targetPath);
    const a = await this.send("POST", `/api/publish?${query.toString()}`, signal, file);
    // 409: "There is a deployment currently in progress" (ours from a crashed attempt, or someone else's).
    if (a.status === 409) return { conflict: a.body || "a deployment is in progress" };
    if (a.status !== 202 && a.status !== 200) throw new ScmHttpError(a.status, "OneDeploy POST /api/publish", a.body);
    const header = a.headers["scm-deployment-id"];
    const id = Array.isArray(header) ? header[0] : header;
    if (id) return { id };
    const location = a.headers.location;
    const where = Array.isArray(location) ? location[0] : location;
    const latest = await this.deployment(
      where ? new URL(where).pathname.split("/").pop() || "latest" : "latest",
      signal,
    );
    if (!latest) throw new ScmHttpError(a.status, "OneDeploy POST /api/publish", "no deployment id in the answer");
    return { id: latest.id };
  }

  /** A deployment by id (`latest` for the newest); undefined when the site has none by that id. */
  async deployment(id: string, signal?: AbortSignal): Promise<ScmDeployment | undefined> {
    const a = await this.send("GET", `/api/deployments/${encodeURIComponent(id)}`, signal);
    if (a.status === 404) return undefined;
    if (a.status !== 200) throw new ScmHttpError(a.status, `read deployment ${id}`, a.body);
    const d = JSON.parse(a.body) as Record<string, unknown>;
    return {
      id: String(d.id ?? id),
      status: Number(d.status ?? 0),
      statusText: typeof d.status_text === "string" ? d.status_text : "",
      complete: d.complete === true,
      active: d.active === true,
    };
  }
}
