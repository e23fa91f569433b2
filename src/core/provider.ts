/**
 * The provider contract: how an `environment:` entry becomes a client.
 * Each provider lives in its own folder under src/providers/ and exports one
 * ProviderDefinition; src/providers/registry.ts lists them.
 */
import type { z } from "zod";
import type { CapabilityToken } from "./capabilities.js";

/** A provider kind: how to turn an `environment:` entry into a client. */
export interface ProviderDefinition<C = unknown, T = unknown> {
  /** The `provider:` value in an environment entry, e.g. `file`, `local`, `postgres`. */
  kind: string;
  summary: string;
  /** Schema of the entry's other fields; the source of its docs. */
  config: z.ZodType<C>;
  /** What the client can do (src/core/capabilities.ts); the client must implement each token's interface. */
  capabilities: CapabilityToken<T>[];
  create(config: C, ctx: ProviderContext): Promise<T> | T;
  /**
   * Optional check run when a run starts or continues, before it takes the lease or changes anything (e.g. sign
   * in for every scope the client will need). Throws CONFIG_INVALID (exit 2) naming the entry and what failed.
   */
  preflight?(config: C, ctx: ProviderContext): Promise<void>;
}

export interface ProviderContext {
  stateDir: string;
  baseDir: string;
  /** The environment entry's name (`app`, `db`...). */
  name: string;
  /** Resolve an env var or secret by name; registered with the redactor. */
  secret(name: string): string | undefined;
}

/** Whether `def`'s clients offer the capability named `capability` (a token or its name). */
export function offers(def: Pick<ProviderDefinition<unknown, never>, "capabilities">, capability: string): boolean {
  return def.capabilities.some((c) => c === capability);
}
