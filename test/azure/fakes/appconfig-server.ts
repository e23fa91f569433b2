/**
 * A local HTTPS server speaking the part of the App Configuration data-plane
 * contract that @azure/app-configuration (and the configuration provider
 * apps use) send: HMAC-SHA256 request signing (verified), key-values with
 * labels, ETags with If-Match / If-None-Match, read-only locks, listing
 * with key/label filters and page ETags.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector, readBody } from "./faults.js";
import { testCert } from "./tls.js";

interface Setting {
  key: string;
  label: string | null;
  value: string | null;
  content_type: string | null;
  etag: string;
  last_modified: string;
  locked: boolean;
  tags: Record<string, string>;
}

export interface AppConfigFake {
  url: string;
  connectionString: string;
  settings: Map<string, Setting>;
  faults: FaultInjector;
  /** Requests seen, as `METHOD path`. */
  requests: string[];
  /** Requests refused for a bad signature. */
  authFailures: number;
  /**
   * Entra ID bearer tokens accepted instead of HMAC (an identity with App Configuration Data Owner); none
   * by default. Each one used is recorded in `bearerTokensSeen`.
   */
  acceptBearer: (token: string) => boolean;
  bearerTokensSeen: string[];
  put(key: string, value: string, options?: { label?: string; contentType?: string }): Setting;
  get(key: string, label?: string | null): Setting | undefined;
  close(): Promise<void>;
}

const id = (key: string, label: string | null) => `${key}\u0000${label ?? ""}`;

export async function startAppConfigFake(): Promise<AppConfigFake> {
  const credentialId = "fake-id";
  const secret = randomBytes(32).toString("base64");
  const settings = new Map<string, Setting>();
  const faults = new FaultInjector();
  const requests: string[] = [];
  const bearerTokensSeen: string[] = [];
  let authFailures = 0;
  let acceptBearer: (token: string) => boolean = () => false;

  const store = (
    key: string,
    label: string | null,
    value: string | null,
    contentType: string | null,
    tags: Record<string, string> = {},
  ): Setting => {
    const s: Setting = {
      key,
      label,
      value,
      content_type: contentType,
      etag: randomBytes(8).toString("hex"),
      last_modified: new Date().toISOString(),
      locked: settings.get(id(key, label))?.locked ?? false,
      tags,
    };
    settings.set(id(key, label), s);
    return s;
  };

  function verifyHmac(req: IncomingMessage, body: string): boolean {
    const auth = req.headers.authorization ?? "";
    const m = /^HMAC-SHA256 Credential=([^&]+)&SignedHeaders=([^&]+)&Signature=(.+)$/.exec(auth);
    if (!m || m[1] !== credentialId) return false;
    const hash = createHash("sha256").update(body).digest("base64");
    if (req.headers["x-ms-content-sha256"] !== hash) return false;
    const signed = (m[2] ?? "").split(";").map((h) => String(req.headers[h.toLowerCase()] ?? ""));
    const toSign = `${req.method}\n${req.url}\n${signed.join(";")}`;
    const expected = createHmac("sha256", Buffer.from(secret, "base64")).update(toSign).digest("base64");
    return expected === m[3];
  }

  function send(
    res: ServerResponse,
    status: number,
    body?: unknown,
    contentType = "application/vnd.microsoft.appconfig.kv+json; charset=utf-8",
  ): void {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = status >= 400 ? "application/problem+json" : contentType;
    if (body && typeof body === "object" && "etag" in body) headers.etag = `"${(body as Setting).etag}"`;
    res.writeHead(status, headers);
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  const unquote = (s: string | undefined) => s?.replace(/^"(.*)"$/, "$1");

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "https://fake");
    // 1.12 sends keys unencoded, 1.13 percent-encodes them: accept both.
    const pathname = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${pathname}`);
    if (faults.apply(req, res, pathname)) return;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (bearer && acceptBearer(bearer)) bearerTokensSeen.push(bearer);
    else if (!verifyHmac(req, body)) {
      authFailures++;
      return send(res, 401, {
        type: "https://azconfig.io/errors/invalid-credentials",
        title: "Invalid signature",
        status: 401,
      });
    }
    const labelParam = url.searchParams.get("label");
    const label = labelParam === null || labelParam === "" || labelParam === "\0" ? null : labelParam;

    if (pathname.startsWith("/kv/")) {
      const key = pathname.slice(4);
      const current = settings.get(id(key, label));
      const ifMatch = unquote(req.headers["if-match"] as string | undefined);
      const ifNoneMatch = unquote(req.headers["if-none-match"] as string | undefined);
      if (req.method === "GET") {
        if (!current) return send(res, 404, { title: "Not found", status: 404 });
        if (ifNoneMatch && (ifNoneMatch === "*" || ifNoneMatch === current.etag)) return send(res, 304);
        return send(res, 200, current);
      }
      if (req.method === "PUT") {
        if (ifMatch && (!current || (ifMatch !== "*" && ifMatch !== current.etag)))
          return send(res, 412, { title: "Precondition failed", status: 412 });
        if (ifNoneMatch === "*" && current) return send(res, 412, { title: "Precondition failed", status: 412 });
        if (current?.locked) return send(res, 409, { title: "Key is read-only", status: 409 });
        const p = JSON.parse(body || "{}") as { value?: string; content_type?: string; tags?: Record<string, string> };
        return send(res, 200, store(key, label, p.value ?? null, p.content_type ?? null, p.tags));
      }
      if (req.method === "DELETE") {
        if (!current) return send(res, 204);
        if (ifMatch && ifMatch !== "*" && ifMatch !== current.etag)
          return send(res, 412, { title: "Precondition failed", status: 412 });
        if (current.locked) return send(res, 409, { title: "Key is read-only", status: 409 });
        settings.delete(id(key, label));
        return send(res, 200, current);
      }
    }
    if (pathname.startsWith("/locks/")) {
      const current = settings.get(id(pathname.slice(7), label));
      if (!current) return send(res, 404, { title: "Not found", status: 404 });
      current.locked = req.method === "PUT";
      return send(res, 200, current);
    }
    if (pathname === "/kv" && req.method === "GET") {
      const keyFilter = url.searchParams.get("key") ?? "*";
      const matchKey = (k: string) =>
        keyFilter.split(",").some((f) => (f.endsWith("*") ? k.startsWith(f.slice(0, -1)) : k === f));
      const matchLabel = (l: string | null) =>
        labelParam === null ||
        labelParam === "*" ||
        labelParam
          .split(",")
          .some((f) =>
            f === "\0" || f === "" ? l === null : f.endsWith("*") ? (l ?? "").startsWith(f.slice(0, -1)) : l === f,
          );
      const items = [...settings.values()]
        .filter((s) => matchKey(s.key) && matchLabel(s.label))
        .sort((a, b) => a.key.localeCompare(b.key));
      const pageEtag = createHash("sha256").update(JSON.stringify(items)).digest("hex");
      if (unquote(req.headers["if-none-match"] as string | undefined) === pageEtag) {
        res.writeHead(304, { etag: `"${pageEtag}"` });
        return void res.end();
      }
      res.writeHead(200, {
        "content-type": "application/vnd.microsoft.appconfig.kvset+json; charset=utf-8",
        etag: `"${pageEtag}"`,
      });
      return void res.end(JSON.stringify({ items }));
    }
    send(res, 404, { title: `no route ${req.method} ${pathname}`, status: 404 });
  }

  const cert = testCert();
  const server: Server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    connectionString: `Endpoint=${url};Id=${credentialId};Secret=${secret}`,
    settings,
    faults,
    requests,
    get authFailures() {
      return authFailures;
    },
    get acceptBearer() {
      return acceptBearer;
    },
    set acceptBearer(f) {
      acceptBearer = f;
    },
    bearerTokensSeen,
    put: (key, value, o = {}) => store(key, o.label ?? null, value, o.contentType ?? null),
    get: (key, label = null) => settings.get(id(key, label)),
    close: () =>
      new Promise<void>((resolve) => {
        cert.cleanup(); // the key and certificate files; the server keeps them in memory
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
