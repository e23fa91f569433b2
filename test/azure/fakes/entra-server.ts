/**
 * Stand-ins for the two token services a CI sign-in talks to:
 *
 * - GitHub Actions' ID-token endpoint (plain HTTP on loopback; GitHub's is
 *   HTTPS): `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with
 *   `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answering
 *   `{"value": "<jwt>"}`; every answer is a new token, as GitHub's are
 *   (each lives 5 minutes).
 * - Microsoft Entra ID's v2.0 endpoints as MSAL calls them through
 *   AZURE_AUTHORITY_HOST (HTTPS, the test certificate): the tenant's
 *   OpenID configuration and `POST /{tenant}/oauth2/v2.0/token` with
 *   `grant_type=client_credentials` and a `client_assertion` (a JWT bearer
 *   assertion), answering an access token.
 *
 * - Azure Pipelines' OIDC endpoint (HTTPS) as AzurePipelinesCredential
 *   calls it: `POST $SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=…`
 *   with `Authorization: Bearer $SYSTEM_ACCESSTOKEN`, answering
 *   `{"oidcToken": "<jwt>"}`.
 *
 * All record what they were sent, so a test can check that each token
 * request carried a freshly fetched CI token.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Server } from "node:net";
import { randomBytes } from "node:crypto";
import { readBody } from "./faults.js";
import { testCert } from "./tls.js";

export interface GitHubOidcFake {
  /** The value for ACTIONS_ID_TOKEN_REQUEST_URL (already has a query string, as GitHub's does). */
  requestUrl: string;
  /** The value for ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestToken: string;
  /** Every ID token handed out, in order. */
  issued: string[];
  /** Every request: its audience and whether its Authorization header was right. */
  requests: { audience: string | null; authorized: boolean }[];
  /** Answer every request with this status instead (e.g. 403: the job lacks `id-token: write`). */
  failWith?: number;
  close(): Promise<void>;
}

export interface PipelinesOidcFake {
  /** The value for SYSTEM_OIDCREQUESTURI. */
  requestUri: string;
  /** The value for SYSTEM_ACCESSTOKEN. */
  accessToken: string;
  issued: string[];
  requests: { method: string; serviceConnectionId: string | null; apiVersion: string | null; authorized: boolean }[];
  close(): Promise<void>;
}

export interface EntraFake {
  /** The value for AZURE_AUTHORITY_HOST. */
  authorityHost: string;
  /** Token requests: the scope asked for and the client assertion sent. */
  tokenRequests: { tenant: string; clientId: string | null; scope: string | null; assertion: string | null }[];
  /** Access tokens issued (what a resource server should accept). */
  issued: Set<string>;
  /** Refuse token requests whose scope starts with this (AADSTS error), e.g. a missing federated credential. */
  refuseScope?: string;
  close(): Promise<void>;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      server.close(() => resolve());
    });
}

export async function startGitHubOidcFake(): Promise<GitHubOidcFake> {
  const requestToken = randomBytes(12).toString("hex");
  const fake: Omit<GitHubOidcFake, "requestUrl" | "close"> = { requestToken, issued: [], requests: [] };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const authorized = req.headers.authorization === `bearer ${requestToken}`;
    fake.requests.push({ audience: url.searchParams.get("audience"), authorized });
    const status = fake.failWith ?? (authorized ? 200 : 401);
    if (status !== 200) {
      res.writeHead(status, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ message: "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable" }));
    }
    const now = Math.floor(Date.now() / 1000);
    const jwt = [
      b64url({ alg: "RS256", typ: "JWT" }),
      b64url({
        iss: "https://token.actions.githubusercontent.com",
        sub: "repo:shop/api:environment:production",
        aud: url.searchParams.get("audience"),
        iat: now,
        exp: now + 300,
        jti: randomBytes(8).toString("hex"),
      }),
      randomBytes(16).toString("base64url"),
    ].join(".");
    fake.issued.push(jwt);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ count: 1, value: jwt }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(fake, {
    requestUrl: `http://127.0.0.1:${port}/_apis/pipelines/workflows/1/idtoken?api-version=2.0`,
    close: closer(server),
  });
}

function fakeJwt(iss: string, sub: string, aud: string): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss, sub, aud, iat: now, exp: now + 300, jti: randomBytes(8).toString("hex") };
  return [b64url({ alg: "RS256", typ: "JWT" }), b64url(claims), randomBytes(16).toString("base64url")].join(".");
}

export async function startPipelinesOidcFake(): Promise<PipelinesOidcFake> {
  const cert = testCert();
  const accessToken = randomBytes(12).toString("hex");
  const fake: Omit<PipelinesOidcFake, "requestUri" | "close"> = { accessToken, issued: [], requests: [] };
  const server = createHttpsServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    void readBody(req).then(() => {
      const url = new URL(req.url ?? "/", "https://fake");
      const authorized = req.headers.authorization === `Bearer ${accessToken}`;
      const serviceConnectionId = url.searchParams.get("serviceConnectionId");
      fake.requests.push({
        method: req.method ?? "",
        serviceConnectionId,
        apiVersion: url.searchParams.get("api-version"),
        authorized,
      });
      if (!authorized || req.method !== "POST") {
        res.writeHead(401, { "content-type": "application/json" });
        return void res.end(
          JSON.stringify({ message: "TF400813: The user is not authorized to access this resource." }),
        );
      }
      const jwt = fakeJwt(
        "https://vstoken.dev.azure.com/org-id",
        `sc://org/project/${serviceConnectionId}`,
        "api://AzureADTokenExchange",
      );
      fake.issued.push(jwt);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ oidcToken: jwt }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(fake, {
    requestUri: `https://127.0.0.1:${port}/project/_apis/distributedtask/hubs/build/plans/plan-id/jobs/job-id/oidctoken`,
    close: closer(server),
  });
}

export async function startEntraFake(): Promise<EntraFake> {
  const cert = testCert();
  const fake: Omit<EntraFake, "authorityHost" | "close"> = { tokenRequests: [], issued: new Set() };
  let base = "";
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const server = createHttpsServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? "/", base);
      const tenant = url.pathname.split("/")[1] ?? "";
      if (url.pathname.endsWith("/.well-known/openid-configuration")) {
        return json(res, 200, {
          token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
          issuer: `${base}/${tenant}/v2.0`,
          jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
          tenant_region_scope: null,
        });
      }
      if (url.pathname.endsWith("/discovery/instance")) {
        const host = new URL(base).host;
        return json(res, 200, {
          tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        });
      }
      if (req.method === "POST" && url.pathname.endsWith("/oauth2/v2.0/token")) {
        const form = new URLSearchParams(body);
        const scope = form.get("scope");
        fake.tokenRequests.push({
          tenant,
          clientId: form.get("client_id"),
          scope,
          assertion: form.get("client_assertion"),
        });
        const scopes = (scope ?? "").split(" ");
        if (fake.refuseScope && scopes.some((s) => s.startsWith(fake.refuseScope ?? "\0"))) {
          return json(res, 400, {
            error: "invalid_client",
            error_description: "AADSTS700213: No matching federated identity record found for presented assertion.",
            error_codes: [700213],
          });
        }
        if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
          return json(res, 400, { error: "invalid_request", error_description: "AADSTS900144: no assertion" });
        const token = `entra-${randomBytes(12).toString("hex")}`;
        fake.issued.add(token);
        return json(res, 200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
      }
      json(res, 404, { error: "not_found", error_description: `no route ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, { authorityHost: base, close: closer(server) });
}
