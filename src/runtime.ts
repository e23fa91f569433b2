/**
 * The composition root: the only module that knows every action and provider.
 * It turns a validated playbook's `environment:` block into provider clients
 * (lazily, once each) and hands the engine plain functions.
 */
import os from "node:os";
import { actions, findAction } from "./actions/registry.js";
import { offers, type ProviderContext, type ProviderDefinition } from "./core/provider.js";
import type { Actor } from "./engine/events.js";
import type { Json } from "./core/json.js";
import type { Redactor } from "./engine/redact.js";
import { resolveValue } from "./engine/resolve.js";
import type { RunStore } from "./core/run-store.js";
import { CutoverError, ErrorCode } from "./core/errors.js";
import type { Registries, LoadedPlaybook } from "./playbook/validate.js";
import { IMPLICIT_ENVIRONMENT } from "./playbook/schema.js";
import { RunState, type CapabilityToken } from "./core/capabilities.js";
import { findProvider, providers } from "./providers/registry.js";
import { lookupSecret } from "./core/secret-lookup.js";

export const registries: Registries = {
  findAction,
  findProvider,
  actionKinds: () => actions.map((a) => a.kind).sort(),
  providerKinds: () => providers.map((p) => p.kind).sort(),
};

export interface RuntimeOptions {
  /** Project-local state directory (`.cutover` by default). */
  stateDir: string;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /** The run's params (secret ones included), for `${{ params.x }}` in provider config. */
  params?: Record<string, Json>;
}

export { lookupSecret };

export function currentActor(env: NodeJS.ProcessEnv = process.env): Actor {
  let user = env.CUTOVER_ACTOR;
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = "unknown";
    }
  }
  return { user, host: os.hostname(), pid: process.pid };
}

export class ProviderSet {
  private clients = new Map<string, Promise<unknown>>();

  constructor(
    private readonly loaded: LoadedPlaybook,
    private readonly opts: RuntimeOptions,
  ) {}

  entry(target: string): { provider: string; [k: string]: unknown } | undefined {
    const env = this.loaded.playbook.environment as Record<string, unknown>;
    const e = target === "name" || !Object.hasOwn(env, target) ? undefined : env[target];
    if (e && typeof e === "object") return e as { provider: string };
    return Object.hasOwn(IMPLICIT_ENVIRONMENT, target) ? IMPLICIT_ENVIRONMENT[target] : undefined;
  }

  provider<T>(target: string, capability: CapabilityToken<T>): Promise<T>;
  /** For the engine, which passes an action's token on as a name. */
  provider(target: string, capability: string): Promise<unknown>;
  provider(target: string, capability: string): Promise<unknown> {
    const entry = this.entry(target);
    if (!entry) {
      return Promise.reject(
        new CutoverError(ErrorCode.Config, `the playbook's environment has no entry "${target}"`, {
          hint: `add environment.${target}: { provider: ... }`,
        }),
      );
    }
    const def = findProvider(entry.provider) as ProviderDefinition<unknown, unknown> | undefined;
    if (!def)
      return Promise.reject(
        new CutoverError(ErrorCode.Config, `unknown provider "${entry.provider}" for environment.${target}`),
      );
    if (!offers(def, capability)) {
      return Promise.reject(
        new CutoverError(
          ErrorCode.Config,
          `environment.${target} (provider ${entry.provider}) does not provide ${capability}`,
        ),
      );
    }
    let client = this.clients.get(target);
    if (!client) {
      client = this.create(target, entry, def);
      this.clients.set(target, client);
    }
    return client;
  }

  /**
   * Each entry's `preflight` (e.g. an Azure sign-in for every scope), before a run takes the lease or changes
   * anything: a CI identity that cannot get a token fails the run up front (exit 2), not half-way through it.
   */
  async preflight(): Promise<void> {
    for (const target of Object.keys(this.loaded.playbook.environment ?? {})) {
      const entry = this.entry(target);
      const def = entry && (findProvider(entry.provider) as ProviderDefinition<unknown, unknown> | undefined);
      if (!entry || !def?.preflight) continue;
      const { config, ctx } = this.configure(target, entry, def);
      await def.preflight(config, ctx);
    }
  }

  private async create(
    target: string,
    entry: { provider: string },
    def: ProviderDefinition<unknown, unknown>,
  ): Promise<unknown> {
    const { config, ctx } = this.configure(target, entry, def);
    return def.create(config, ctx);
  }

  /** The entry's config, resolved and validated, and the context its provider gets. */
  private configure(
    target: string,
    entry: { provider: string },
    def: ProviderDefinition<unknown, unknown>,
  ): { config: unknown; ctx: ProviderContext } {
    const { provider: _p, ...raw } = entry as Record<string, unknown>;
    const scope = {
      params: this.opts.params ?? {},
      steps: {},
      env: this.opts.env,
      secrets: (name: string) => {
        const v = lookupSecret(this.opts.env, name);
        if (v === undefined)
          throw new CutoverError(ErrorCode.Config, `environment.${target} needs the secret ${name}, which is not set`, {
            hint: `export ${name}=... before running`,
          });
        this.opts.redactor.add(v);
        return v;
      },
      run: { id: "" },
    };
    const parsed = def.config.safeParse(resolveValue(raw, scope));
    if (!parsed.success) {
      throw new CutoverError(
        ErrorCode.Config,
        `environment.${target}: ` +
          `${parsed.error.issues.map((i) => `${i.path.join(".") || "(entry)"}: ${i.message}`).join("; ")}`,
      );
    }
    const ctx: ProviderContext = {
      stateDir: this.opts.stateDir,
      baseDir: this.loaded.baseDir,
      name: target,
      secret: (name) => {
        const v = lookupSecret(this.opts.env, name);
        this.opts.redactor.add(v);
        return v;
      },
    };
    return { config: parsed.data, ctx };
  }

  /** The run store of `environment.state` (the file store by default). */
  async store(): Promise<RunStore> {
    return this.provider("state", RunState);
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) {
      const client = (await c.catch(() => undefined)) as { close?: () => Promise<void> } | undefined;
      await client?.close?.().catch(() => undefined);
    }
  }
}
