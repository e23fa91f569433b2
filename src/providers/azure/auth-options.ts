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
  .enum(["default", "cli", "managed-identity", "environment", "workload-identity", "github-oidc", "azure-pipelines"])
  .describe(
    "How cutover signs in to Entra ID: `default` (DefaultAzureCredential; AZURE_TOKEN_CREDENTIALS narrows its " +
      "chain), `cli` (the `az login` session), `managed-identity`, `environment` " +
      "(AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), `workload-identity` " +
      "(federated token file AZURE_FEDERATED_TOKEN_FILE: AKS), `github-oidc` (GitHub Actions OIDC: a fresh ID token " +
      "from ACTIONS_ID_TOKEN_REQUEST_URL for every Entra request; clientId, tenantId), `azure-pipelines` (an Azure " +
      "DevOps service connection with workload identity federation: serviceConnectionId, clientId, tenantId, " +
      "SYSTEM_ACCESSTOKEN).",
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
    tenantId: z
      .string()
      .min(1)
      .optional()
      .describe("Entra tenant id (cli, workload-identity, github-oidc, azure-pipelines)."),
    serviceConnectionId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "azure-pipelines: the service connection's id (default: AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, set by " +
          "the AzureCLI@2 task, or CUTOVER_AZURE_SERVICE_CONNECTION_ID).",
      ),
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

interface CredentialRequest {
  mode: AuthMode;
  clientId?: string;
  tenantId?: string;
  serviceConnectionId?: string;
}
export type CredentialFactory = (options: CredentialRequest) => TokenCredential;

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

/**
 * What a credential is made from: the options, then CUTOVER_AZURE_* variables, then what the CI system itself
 * sets for the two CI modes (azure/login's AZURE_CLIENT_ID / AZURE_TENANT_ID on GitHub; the AzureCLI@2 task's
 * AZURESUBSCRIPTION_* on Azure Pipelines, as `azd auth login --federated-credential-provider azure-pipelines` reads
 * them, Azure/azure-dev#4343). Other modes never read those, so a managed identity stays system-assigned.
 */
export function credentialRequest(options: AuthOptions | undefined, env: NodeJS.ProcessEnv = process.env) {
  const o = normalize(options);
  const mode = resolveAuthMode(o, env);
  const ci =
    mode === "github-oidc"
      ? { clientId: env.AZURE_CLIENT_ID, tenantId: env.AZURE_TENANT_ID }
      : mode === "azure-pipelines"
        ? {
            clientId: env.AZURESUBSCRIPTION_CLIENT_ID,
            tenantId: env.AZURESUBSCRIPTION_TENANT_ID,
            serviceConnectionId: env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID,
          }
        : {};
  const request: CredentialRequest = {
    mode,
    clientId: o.clientId ?? env.CUTOVER_AZURE_CLIENT_ID ?? ci.clientId,
    tenantId: o.tenantId ?? env.CUTOVER_AZURE_TENANT_ID ?? ci.tenantId,
  };
  if (mode === "azure-pipelines")
    request.serviceConnectionId =
      o.serviceConnectionId ??
      env.CUTOVER_AZURE_SERVICE_CONNECTION_ID ??
      ("serviceConnectionId" in ci ? ci.serviceConnectionId : undefined);
  return request;
}

/** The credential for these options, made by the installed factory or else by `fallback`. */
export function credentialFor(options: AuthOptions | undefined, fallback: CredentialFactory): TokenCredential {
  const request = credentialRequest(options);
  const { mode } = request;
  const key = JSON.stringify(request);
  let credential = cache.get(key);
  if (!credential) {
    try {
      credential = (installed ?? fallback)(request);
    } catch (e) {
      if (e instanceof CutoverError) throw e;
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

/**
 * Whether an entry signs in with an identity: not when its `connectionStringSecret` is set (HMAC or account key
 * instead), as chooseConnection decides.
 */
export function usesIdentity(
  config: { connectionStringSecret?: string },
  ctx: { secret(name: string): string | undefined },
): boolean {
  return !(config.connectionStringSecret && ctx.secret(config.connectionStringSecret));
}

/** A credential that hands out a fixed token: for tests against local fakes only. */
export function staticTokenCredential(token = "test-token"): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}
