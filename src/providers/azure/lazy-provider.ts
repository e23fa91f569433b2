/**
 * The preflight and create() every azure-* provider shares. Both import what
 * they need only when called (credential.ts, the provider's *-connect.ts), so
 * a provider definition loads without any @azure/* module and a CLI call that
 * uses no Azure entry does not pay for the SDKs (test/azure/lazy-load.test.ts).
 */
import type { ProviderContext } from "../../core/provider.js";
import type { AuthOptions } from "./auth-options.js";

/** Azure Resource Manager in the public cloud: the endpoint of an ARM provider entry that names none. */
export const ARM_ENDPOINT = "https://management.azure.com";

/** Entra scope of Azure Storage (tables, queues). */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";

/** The Entra scope of a service addressed at `endpoint`: its origin + `/.default`. */
export function scopeOf(endpoint: string): string {
  return `${new URL(endpoint).origin}/.default`;
}

/**
 * A preflight that signs in for the entry's scope at the start of a run, so a CI identity that cannot fails
 * before anything changes. `scope` returns undefined when the entry signs in with no identity (a connection
 * string): there is nothing to check.
 */
export function signInPreflight<C extends { auth?: AuthOptions }>(
  scope: (config: C, ctx: ProviderContext) => string | undefined,
): (config: C, ctx: ProviderContext) => Promise<void> {
  return async (config, ctx) => {
    const forScope = scope(config, ctx);
    if (forScope === undefined) return;
    const { assertSignIn } = await import("./credential.js");
    await assertSignIn(config.auth, forScope, ctx.name);
  };
}

/** A create() that imports its connect module (and with it the SDK) only when a client is wanted. */
export function connectOnDemand<C, T>(
  load: () => Promise<(config: C, ctx: ProviderContext) => Promise<T> | T>,
): (config: C, ctx: ProviderContext) => Promise<T> {
  return async (config, ctx) => (await load())(config, ctx);
}
