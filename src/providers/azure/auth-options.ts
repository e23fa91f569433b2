/**
 * The `auth` field of every Azure provider and the registry of how
 * credentials are made. No @azure/* import (only erased types): provider
 * schemas load without the SDK; credential.ts, loaded when a provider is
 * created, supplies the real @azure/identity factory.
 *
 * Tests never construct a real credential: they install a factory with
 * `setCredentialFactory`, so nothing probes the machine for logins.
 */
import type { TokenCredential } from "@azure/identity";
import { z } from "zod";
import { CutoverError, ErrorCode } from "../../core/errors.js";

export const AuthMode = z
  .enum(["default", "cli", "managed-identity", "environment", "workload-identity"])
  .describe(
    "How cutover signs in to Entra ID: `default` (DefaultAzureCredential; AZURE_TOKEN_CREDENTIALS narrows its " +
      "chain), `cli` (the `az login` session), `managed-identity`, `environment` " +
      "(AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), `workload-identity` " +
      "(federated token, AZURE_FEDERATED_TOKEN_FILE).",
  );
export type AuthMode = z.infer<typeof AuthMode>;

const AuthObject = z
  .object({
    mode: AuthMode.optional(),
    clientId: z
      .string()
      .min(1)
      .optional()
      .describe("Client id of a user-assigned managed identity or app registration."),
    tenantId: z.string().min(1).optional().describe("Entra tenant id (cli, workload-identity)."),
  })
  .strict();
type AuthObject = z.infer<typeof AuthObject>;

/** `auth: cli`, or `auth: { mode: managed-identity, clientId: ... }`. */
export const AuthOptions = z
  .union([AuthMode, AuthObject])
  .describe(
    "Identity: a mode (`auth: cli`) or `{ mode, clientId, tenantId }`; without a mode, the CUTOVER_AZURE_AUTH " +
      "environment variable, then `default`.",
  );
export type AuthOptions = z.infer<typeof AuthOptions>;

function normalize(options: AuthOptions | undefined): AuthObject {
  return typeof options === "string" ? { mode: options } : (options ?? {});
}

export type CredentialFactory = (options: { mode: AuthMode; clientId?: string; tenantId?: string }) => TokenCredential;

/** An installed factory (tests, embedding); undefined means the @azure/identity one. */
let installed: CredentialFactory | undefined;
/** Credentials are cached per option set: one token cache for all providers of a run. */
const cache = new Map<string, TokenCredential>();

/**
 * Replace how credentials are made; `undefined` goes back to @azure/identity.
 * Returns the previously installed factory (undefined: the default).
 */
export function installCredentialFactory(next: CredentialFactory | undefined): CredentialFactory | undefined {
  const previous = installed;
  installed = next;
  cache.clear();
  return previous;
}

export function resolveAuthMode(options: AuthOptions | undefined, env: NodeJS.ProcessEnv = process.env): AuthMode {
  const o = normalize(options);
  if (o.mode) return o.mode;
  const fromEnv = env.CUTOVER_AZURE_AUTH;
  if (fromEnv) return AuthMode.parse(fromEnv);
  return "default";
}

/** The credential for these options, made by the installed factory or else by `fallback`. */
export function credentialFor(options: AuthOptions | undefined, fallback: CredentialFactory): TokenCredential {
  const o = normalize(options);
  const mode = resolveAuthMode(o);
  const clientId = o.clientId ?? process.env.CUTOVER_AZURE_CLIENT_ID;
  const tenantId = o.tenantId ?? process.env.CUTOVER_AZURE_TENANT_ID;
  const key = JSON.stringify([mode, clientId, tenantId]);
  let credential = cache.get(key);
  if (!credential) {
    try {
      credential = (installed ?? fallback)({ mode, clientId, tenantId });
    } catch (e) {
      // e.g. workload-identity without AZURE_FEDERATED_TOKEN_FILE: the constructor refuses.
      throw new CutoverError(
        ErrorCode.Config,
        `Azure identity (auth mode ${mode}) is not usable here: ${(e as Error).message}`,
        {
          cause: e,
          hint: "Choose another `auth.mode` (or CUTOVER_AZURE_AUTH), or provide what this mode needs.",
        },
      );
    }
    cache.set(key, credential);
  }
  return credential;
}

/** A credential that hands out a fixed token: for tests against local fakes only. */
export function staticTokenCredential(token = "test-token"): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}
