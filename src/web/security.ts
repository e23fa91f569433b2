/**
 * The serve page's security model (docs/web.md): one bearer token for every action, compared in constant time;
 * the Authorization header is required, so a page on another origin cannot act (a browser only sends that header
 * cross-origin after a CORS preflight this server never answers), and no cookie is ever set; loopback by default,
 * with a Host check so a rebound DNS name cannot read the page either.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import net from "node:net";
import type { IncomingMessage } from "node:http";
import { CutoverError, ErrorCode } from "../core/errors.js";

/** A fresh token: 32 random bytes, URL-safe (it travels in the page's URL fragment, never in a query string). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The token from `--token-env NAME`: set and long enough to resist guessing, or a usage error naming the variable. */
export function tokenFromEnv(name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name]?.trim();
  if (!value)
    throw new CutoverError(ErrorCode.Usage, `--token-env ${name}: the environment variable ${name} is not set`, {
      hint: `export ${name}=<a long random secret>, or leave out --token-env to get a fresh token printed at start`,
    });
  if (value.length < 16)
    throw new CutoverError(ErrorCode.Usage, `--token-env ${name}: the token is ${value.length} characters; use 16+`, {
      hint: "a token anyone can guess lets them approve or abort releases: use e.g. `openssl rand -base64 32`",
    });
  return value;
}

/** Equal strings, in time that does not depend on where they differ (both hashed first: equal lengths). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token a request carries in its Authorization header (the only place one is accepted). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m?.[1];
}

/** Whether `host` (a name or address to bind) is a loopback one. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost") return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (net.isIPv6(h)) return h === "::1" || h.startsWith("::ffff:127.");
  return false;
}

/** Binding anywhere but loopback puts release controls on the network: refused unless asked for by name. */
export function assertBindAllowed(host: string, allowRemote: boolean): void {
  if (isLoopback(host) || allowRemote) return;
  throw new CutoverError(
    ErrorCode.Usage,
    `--host ${host} is not a loopback address: the page would let anyone who can reach it and holds the token ` +
      `approve or abort releases, and it serves plain HTTP (the token travels unencrypted)`,
    {
      hint:
        "bind 127.0.0.1 and reach it through an SSH tunnel or a TLS reverse proxy; or pass --allow-remote to " +
        "accept that danger",
    },
  );
}

/**
 * On a loopback server, the Host header must name loopback too: a web page whose DNS name was rebound to
 * 127.0.0.1 sends its own name, and is refused (it could otherwise read run states from the browser).
 */
export function hostHeaderAllowed(req: IncomingMessage, loopbackOnly: boolean): boolean {
  if (!loopbackOnly) return true;
  const host = req.headers.host;
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return isLoopback(name);
}

/** A browser request from another page's origin (Origin differs from the Host it was sent to): never allowed. */
export function crossOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === "null") return origin === "null";
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}
