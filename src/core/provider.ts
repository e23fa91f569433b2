/**
 * The provider contract: how an `environment:` entry becomes a client.
 * Each provider lives in its own folder under src/providers/ and exports one
 * ProviderDefinition; src/providers/registry.ts lists them.
 */
import type { z } from "zod";

/** A provider kind: how to turn an `environment:` entry into a client. */
export interface ProviderDefinition<C = unknown, T = unknown> {
  /** The `provider:` value in an environment entry, e.g. `file`, `local`, `postgres`. */
  kind: string;
  summary: string;
  /** Schema of the entry's other fields; the source of its docs. */
  config: z.ZodType<C>;
  /** What the client can do: `state`, `flags`, `app`, `lb`, `sql`, ... */
  capabilities: string[];
  create(config: C, ctx: ProviderContext): Promise<T> | T;
}

export interface ProviderContext {
  stateDir: string;
  baseDir: string;
  /** The environment entry's name (`app`, `db`...). */
  name: string;
  /** Resolve an env var or secret by name; registered with the redactor. */
  secret(name: string): string | undefined;
}
