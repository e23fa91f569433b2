/**
 * Which Entra ID identity cutover acts as. DefaultAzureCredential by default;
 * an explicit `auth` mode narrows it to one credential so a CI job fails fast
 * and says why instead of walking the whole chain (the managed-identity probe
 * alone can take 15 s on a machine without IMDS).
 *
 * This module loads @azure/identity; the schemas and the factory registry
 * live in auth-options.ts so that importing a provider does not. Only the
 * modules a provider's create() imports on demand import this one.
 */
import {
  AzureCliCredential,
  AzurePipelinesCredential,
  ClientAssertionCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import {
  credentialFor,
  installCredentialFactory,
  resolveAuthMode,
  type AuthOptions,
  type CredentialFactory,
} from "./auth-options.js";
import { githubOidcAssertion } from "./github-oidc.js";

export { AuthOptions, resolveAuthMode, staticTokenCredential, type CredentialFactory } from "./auth-options.js";

/** The real factory: one credential class per mode. */
export const defaultCredentialFactory: CredentialFactory = ({ mode, clientId, tenantId, serviceConnectionId }) => {
  switch (mode) {
    case "cli":
      return new AzureCliCredential({ tenantId, processTimeoutInMs: 20_000 });
    case "managed-identity":
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case "environment":
      return new EnvironmentCredential();
    case "workload-identity":
      return new WorkloadIdentityCredential({ clientId, tenantId });
    case "github-oidc":
      // A fresh GitHub ID token for every Entra request: GitHub's live 5 minutes (github-oidc.ts).
      return new ClientAssertionCredential(
        required(mode, "tenantId", tenantId, "AZURE_TENANT_ID"),
        required(mode, "clientId", clientId, "AZURE_CLIENT_ID"),
        githubOidcAssertion(),
        federatedOptions(),
      );
    case "azure-pipelines":
      // The credential asks the pipeline's OIDC endpoint (SYSTEM_OIDCREQUESTURI) for a token per Entra request.
      return new AzurePipelinesCredential(
        required(mode, "tenantId", tenantId, "AZURESUBSCRIPTION_TENANT_ID"),
        required(mode, "clientId", clientId, "AZURESUBSCRIPTION_CLIENT_ID"),
        required(mode, "serviceConnectionId", serviceConnectionId, "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"),
        required(mode, "a System.AccessToken", process.env.SYSTEM_ACCESSTOKEN, "SYSTEM_ACCESSTOKEN"),
        federatedOptions(),
      );
    case "default":
      return new DefaultAzureCredential({
        tenantId,
        managedIdentityClientId: clientId,
        workloadIdentityClientId: clientId,
      });
  }
};

/** Entra hosts MSAL's instance discovery knows (public cloud, China, US Government). */
const KNOWN_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.chinacloudapi.cn",
  "login.microsoftonline.us",
]);

/**
 * AZURE_AUTHORITY_HOST (read by @azure/identity itself) naming a host MSAL does not know (Azure Stack Hub, a
 * private cloud, a local stand-in) needs instance discovery off: MSAL would otherwise ask
 * login.microsoftonline.com about it and fail with endpoints_resolution_error.
 */
function federatedOptions(): { disableInstanceDiscovery?: boolean } {
  const host = process.env.AZURE_AUTHORITY_HOST;
  if (!host) return {};
  try {
    return KNOWN_AUTHORITY_HOSTS.has(new URL(host).hostname) ? {} : { disableInstanceDiscovery: true };
  } catch {
    return {};
  }
}

function required(mode: string, what: string, value: string | undefined, envName: string): string {
  if (value) return value;
  throw new CutoverError(ErrorCode.Config, `auth mode ${mode} needs ${what}, which is not set`, {
    hint:
      what === "a System.AccessToken"
        ? "map it into the step: `env: { SYSTEM_ACCESSTOKEN: $(System.AccessToken) }` (docs/azure.md, CI)"
        : `set \`auth: { mode: ${mode}, ${what}: ... }\` or ${envName} (docs/azure.md, CI)`,
  });
}

/** Replace how credentials are made (tests, embedding). Returns the previous factory. */
export function setCredentialFactory(next: CredentialFactory): CredentialFactory {
  return installCredentialFactory(next) ?? defaultCredentialFactory;
}

export function getCredential(options?: AuthOptions): TokenCredential {
  return credentialFor(options, defaultCredentialFactory);
}

/** How long the start-of-run sign-in may take per scope (the SDK retries inside it). */
const SIGN_IN_TIMEOUT_MS = 120_000;

/**
 * Get a token for `scope` now, at the start of a run (a provider's preflight): a CI identity that cannot sign in
 * for some scope fails before the run changes anything, with CONFIG_INVALID (exit 2) naming the entry, the scope
 * and the auth mode, instead of after maintenance mode is already on. The token is cached by the credential, so
 * the step that needs it does not ask again.
 */
export async function assertSignIn(options: AuthOptions | undefined, scope: string, entry: string): Promise<void> {
  const mode = resolveAuthMode(options);
  const failed = (why: string, cause?: unknown) =>
    new CutoverError(
      ErrorCode.Config,
      `environment.${entry}: cannot sign in to Microsoft Entra ID for scope ${scope} (auth mode ${mode}): ${why}`,
      {
        cause,
        // A mode that lacks something says what (e.g. how to map SYSTEM_ACCESSTOKEN); keep that hint.
        hint:
          "nothing was changed. " +
          (cause instanceof CutoverError && cause.hint
            ? cause.hint
            : "Check the identity's federated credential / role assignments, or choose another `auth.mode` (or " +
              "--auth / CUTOVER_AZURE_AUTH); docs/azure.md, Identity and CI"),
      },
    );
  let credential: TokenCredential;
  try {
    credential = getCredential(options);
  } catch (e) {
    throw failed((e as Error).message, e);
  }
  try {
    const token = await credential.getToken(scope, { abortSignal: AbortSignal.timeout(SIGN_IN_TIMEOUT_MS) });
    if (!token) throw new Error("the credential returned no token");
  } catch (e) {
    throw failed(firstLine((e as Error).message), e);
  }
}

/** Entra's answers run to many lines (trace ids, correlation ids, a troubleshooting link): the first says why. */
function firstLine(message: string): string {
  const line = message.split("\n").find((l) => l.trim() !== "") ?? message;
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}
