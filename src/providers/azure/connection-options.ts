/**
 * Connection options every Azure provider shares: retries (the SDK pipeline
 * retries throttling and 5xx itself, honouring Retry-After), a private CA for
 * test endpoints or TLS-inspecting proxies, and how a connection string is
 * found. No @azure/* import: provider schemas load without the SDK
 * (client-options.ts turns these into SDK pipeline options).
 */
import { z } from "zod";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { ProviderContext } from "../../core/provider.js";
import { DAY } from "../../core/duration.js";
import { AuthOptions } from "./auth-options.js";

/** Milliseconds fields: a bound every Node timer can hold (docs/playbook.md#durations). */
export const AT_MOST_A_DAY = `must be at most ${DAY} (a day, in milliseconds)`;

export const RetryConfig = z
  .object({
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe("Retries of a failed request (429, 408, 5xx, network errors) inside the SDK."),
    retryDelayMs: z
      .number()
      .int()
      .min(0)
      .max(DAY, AT_MOST_A_DAY)
      .default(1000)
      .describe("First backoff delay; doubles on each retry (with jitter). A Retry-After from the service wins."),
    maxRetryDelayMs: z
      .number()
      .int()
      .min(0)
      .max(DAY, AT_MOST_A_DAY)
      .default(30_000)
      .describe("Cap of the exponential backoff."),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(DAY, AT_MOST_A_DAY)
      .default(60_000)
      .describe(
        "Give up on one HTTP request after this long (it is then retried): a hung connection must not hang the step.",
      ),
  })
  .strict()
  .describe("HTTP retry policy of the Azure SDK clients.");
export type RetryConfig = z.infer<typeof RetryConfig>;

const caCertFileField = z
  .string()
  .min(1)
  .optional()
  .describe(
    "PEM file of an extra CA to trust for this service's endpoint (a private endpoint behind a TLS-inspecting " +
      "proxy, or a local test server). Relative to the playbook.",
  );

/** The last fields of an Azure entry: how it signs in, how its client retries, which extra CA it trusts. */
export const clientFields = {
  auth: AuthOptions.optional(),
  retry: RetryConfig.optional(),
  caCertFile: caCertFileField,
};

/** An entry's service URL (optional); `what` says which service and what it defaults to. */
export const endpointField = (what: string) => z.string().url().optional().describe(what);

/** The endpoint of an entry that goes through Azure Resource Manager. */
export const armEndpointField = endpointField(
  "Azure Resource Manager endpoint (default https://management.azure.com); sovereign clouds or a local test server.",
);

/** Milliseconds between polls of a long-running operation (2 s unless set, at most a day); `what` names them. */
export const pollIntervalField = (what: string) =>
  z.number().int().min(0).max(DAY, AT_MOST_A_DAY).default(2000).describe(what);

export function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
  } catch {
    return false;
  }
}

/** The endpoint named in a storage connection string, for the loopback check. */
export function connectionStringEndpoint(
  connectionString: string,
  key: "TableEndpoint" | "QueueEndpoint" | "Endpoint",
): string | undefined {
  const m = new RegExp(`(?:^|;)${key}=([^;]+)`, "i").exec(connectionString);
  return m?.[1];
}

/**
 * Which way to connect: the connection string when its secret is set (local
 * emulators, HMAC keys), else the endpoint with an Entra identity. One
 * playbook then runs against Azurite in CI and against Azure with a managed
 * identity. The value is looked up by name; the playbook never holds it.
 */
export function chooseConnection(
  ctx: ProviderContext,
  config: { endpoint?: string; connectionStringSecret?: string },
  what: string,
): { connectionString: string } | { endpoint: string } {
  const cs = config.connectionStringSecret ? ctx.secret(config.connectionStringSecret) : undefined;
  if (cs) {
    const why = connectionStringProblem(cs, what);
    if (why) {
      // Never quote the string itself: it holds the account key.
      throw new CutoverError(
        ErrorCode.Config,
        `environment.${ctx.name}: the connection string in ${config.connectionStringSecret} is malformed: ${why}`,
        {
          hint: CONNECTION_STRING_HINT[what] ?? "copy the connection string again from the Azure portal (Access keys)",
        },
      );
    }
    return { connectionString: cs };
  }
  if (config.endpoint) return { endpoint: config.endpoint };
  throw new CutoverError(
    ErrorCode.Config,
    `${what}: the secret or environment variable ${config.connectionStringSecret ?? "(none named)"} ` +
      `(connectionStringSecret) is not set and no endpoint is configured`,
    {
      hint:
        `Export ${config.connectionStringSecret ?? "the connection string"}, or configure \`endpoint\` and an ` +
        `Entra identity.`,
    },
  );
}

/** The refinement every endpoint-or-connection-string provider shares. */
export const endpointOrConnectionString = [
  (c: { endpoint?: string; connectionStringSecret?: string }) =>
    Boolean(c.endpoint) || Boolean(c.connectionStringSecret),
  {
    message:
      "set endpoint (with an Entra identity), connectionStringSecret, or both (the connection string wins when its secret is set)",
  },
] as const;

const CONNECTION_STRING_HINT: Record<string, string> = {
  "azure-table":
    "expected DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net, " +
    "TableEndpoint=…;SharedAccessSignature=…, or UseDevelopmentStorage=true",
  "azure-queue":
    "expected DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net, " +
    "QueueEndpoint=…;SharedAccessSignature=…, or UseDevelopmentStorage=true",
  "azure-appconfig":
    "expected Endpoint=https://<store>.azconfig.io;Id=…;Secret=… (App Configuration → Access settings)",
};

/**
 * What is wrong with a connection string, in words that never repeat its
 * values; undefined when it has what the SDK needs. The SDKs otherwise fail
 * deep inside with "Cannot read properties of undefined (reading
 * 'toLowerCase')" or "Invalid TableEndpoint".
 */
export function connectionStringProblem(cs: string, what: string): string | undefined {
  const fields = new Map<string, string>(); // by lower-case name: the SDKs match names case-insensitively
  const segments = cs.split(";").filter((seg) => seg.trim() !== "");
  for (const [i, seg] of segments.entries()) {
    const eq = seg.indexOf("=");
    if (eq <= 0) return `part ${i + 1} of ${segments.length} is not name=value`;
    const name = seg.slice(0, eq).trim();
    const value = seg.slice(eq + 1).trim();
    // Only names are quoted, and only short plain ones: a value pasted in the wrong place stays unprinted.
    if (/endpoint$/i.test(name) && !isHttpUrl(value))
      return `${/^\w{1,40}$/.test(name) ? name : `part ${i + 1}`} is not an http(s) URL`;
    fields.set(name.toLowerCase(), value);
  }
  if (fields.size === 0) return "it is empty";
  if (what === "azure-appconfig") {
    const missing = ["endpoint", "id", "secret"].filter((k) => !fields.get(k));
    return missing.length ? `it lacks ${missing.map((k) => k[0]!.toUpperCase() + k.slice(1)).join(", ")}` : undefined;
  }
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") return undefined;
  const endpointKey = what === "azure-queue" ? "queueendpoint" : "tableendpoint";
  const endpointName = what === "azure-queue" ? "QueueEndpoint" : "TableEndpoint";
  if (fields.has("sharedaccesssignature"))
    return fields.get(endpointKey) ? undefined : `a SharedAccessSignature needs ${endpointName}`;
  const missing = ["AccountName", "AccountKey"].filter((k) => !fields.get(k.toLowerCase()));
  if (missing.length)
    return `it lacks ${missing.join(" and ")} (or SharedAccessSignature, or UseDevelopmentStorage=true)`;
  if (!fields.get(endpointKey)) {
    const protocol = fields.get("defaultendpointsprotocol")?.toLowerCase();
    if (protocol !== "https" && protocol !== "http")
      return `it needs ${endpointName}, or DefaultEndpointsProtocol=https (with EndpointSuffix)`;
  }
  return undefined;
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}
