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
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { credentialFor, installCredentialFactory, type AuthOptions, type CredentialFactory } from "./auth-options.js";

export { AuthOptions, resolveAuthMode, staticTokenCredential, type CredentialFactory } from "./auth-options.js";

/** The real factory: one credential class per mode. */
export const defaultCredentialFactory: CredentialFactory = ({ mode, clientId, tenantId }) => {
  switch (mode) {
    case "cli":
      return new AzureCliCredential({ tenantId, processTimeoutInMs: 20_000 });
    case "managed-identity":
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case "environment":
      return new EnvironmentCredential();
    case "workload-identity":
      return new WorkloadIdentityCredential({ clientId, tenantId });
    case "default":
      return new DefaultAzureCredential({
        tenantId,
        managedIdentityClientId: clientId,
        workloadIdentityClientId: clientId,
      });
  }
};

/** Replace how credentials are made (tests, embedding). Returns the previous factory. */
export function setCredentialFactory(next: CredentialFactory): CredentialFactory {
  return installCredentialFactory(next) ?? defaultCredentialFactory;
}

export function getCredential(options?: AuthOptions): TokenCredential {
  return credentialFor(options, defaultCredentialFactory);
}
