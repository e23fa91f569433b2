/**
 * A FlagStore on Azure App Configuration, so the generic `flag.set` action
 * can flip a maintenance flag the apps read.
 *
 * Two shapes:
 * - `feature-flag`: the key `.appconfig.featureflag/<name>` with the
 *   Microsoft.FeatureManagement content type; the flag's value is its
 *   `enabled`. Everything else in the flag (filters, variants, telemetry) is
 *   kept: we read the JSON, change `enabled`, and write it back.
 * - `key-value`: a plain `<prefix><name>` key (with an optional label):
 *   text as is, other values as JSON with the `application/json` content type.
 *
 * Every write is conditional on the ETag we read (or If-None-Match: * for a
 * new key), so a concurrent human edit is never silently overwritten.
 *
 * Per-slot flags, as on the local store (src/providers/local/flags.ts): a flag
 * named `Name@<slot>` is the slot's own value of `Name`, kept under the same
 * key with the label `<slot>` (`<label>@<slot>` when the entry has a label).
 * An app in that slot selects the shared label first and its slot's label
 * after it; @azure/app-configuration-provider lets a later selector's setting
 * win for the same key (docs/azure.md, "Per-slot flags").
 */
import {
  featureFlagContentType,
  featureFlagPrefix,
  type AppConfigurationClient,
  type ConfigurationSetting,
} from "@azure/app-configuration";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { Json } from "../../core/json.js";
import type { FlagStore, FlagValue } from "../../core/flag-store.js";
import { statusOf, translateAzureError } from "./errors.js";

export interface AppConfigFlagStoreOptions {
  client: AppConfigurationClient;
  mode: "feature-flag" | "key-value";
  label?: string;
  /** Prepended to a key-value flag's name (e.g. `MyApp:`). */
  keyPrefix?: string;
  /** For messages: the store's endpoint host. */
  storeName: string;
  /** The slot names a `Name@<slot>` flag may name; any App Service slot name when absent. */
  slots?: readonly string[];
}

/** An App Service slot name (`production`, `staging`, `blue`): letters, digits and hyphens. */
const SLOT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58})$/;

const JSON_CONTENT = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;

export class AppConfigFlagStore implements FlagStore {
  constructor(private readonly o: AppConfigFlagStoreOptions) {}

  /** `Name@blue` → `{ base: "Name", slot: "blue" }`; a name without `@` has no slot. */
  private split(name: string): { base: string; slot?: string } {
    const at = name.indexOf("@");
    if (at < 0) return { base: name };
    const base = name.slice(0, at);
    const slot = name.slice(at + 1);
    const allowed = this.o.slots;
    if (!base || !SLOT_NAME.test(slot) || (allowed && !allowed.includes(slot))) {
      throw new CutoverError(
        ErrorCode.Config,
        `App Configuration: flag name ${JSON.stringify(name)}: "@" must be followed by a slot name` +
          (allowed ? ` (${allowed.join(", ")})` : " (letters, digits and hyphens)") +
          (base ? "" : " and preceded by the flag's name"),
        {
          hint:
            "`Name@<slot>` is that slot's own value of Name (label <slot>); a flag name holds no other @. " +
            "See docs/azure.md, Per-slot flags.",
        },
      );
    }
    return { base, slot };
  }

  /** The label a flag lives under: the entry's, or its slot's (`<slot>`, `<label>@<slot>`). */
  labelOf(name: string): string | undefined {
    const { slot } = this.split(name);
    if (slot === undefined) return this.o.label;
    return this.o.label ? `${this.o.label}@${slot}` : slot;
  }

  keyOf(name: string): string {
    name = this.split(name).base;
    // @azure/app-configuration 1.12 (the last for Node 20) does not
    // encode key paths: `?`, `#` and `%` would corrupt the key.
    if (/[?#%]/.test(name)) {
      throw new CutoverError(
        ErrorCode.Config,
        `App Configuration: flag name ${JSON.stringify(name)} ` +
          `contains ?, # or %, which this SDK version cannot address`,
        {
          hint: "Rename the flag (letters, digits, '.', '-', '_', ':' and '/' are safe).",
        },
      );
    }
    return this.o.mode === "feature-flag" ? featureFlagPrefix + name : (this.o.keyPrefix ?? "") + name;
  }

  private where(name: string): string {
    const label = this.labelOf(name);
    return `${this.keyOf(name)}${label ? ` label ${label}` : ""} in ${this.o.storeName}`;
  }

  private async read(name: string, signal?: AbortSignal): Promise<ConfigurationSetting | undefined> {
    try {
      return await this.o.client.getConfigurationSetting(
        { key: this.keyOf(name), label: this.labelOf(name) },
        { abortSignal: signal },
      );
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw translateAzureError(e, {
        service: "App Configuration",
        operation: `read flag ${name}`,
        resource: this.where(name),
      });
    }
  }

  async get(name: string, options: { signal?: AbortSignal } = {}): Promise<FlagValue> {
    const setting = await this.read(name, options.signal);
    if (!setting) return { value: undefined };
    return { value: this.valueOf(setting), etag: setting.etag };
  }

  private valueOf(setting: ConfigurationSetting): Json {
    if (this.o.mode === "feature-flag") {
      const parsed = safeParse(setting.value);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? (parsed as { enabled?: unknown }).enabled === true
        : false;
    }
    if (setting.value === undefined) return null;
    return setting.contentType && JSON_CONTENT.test(setting.contentType)
      ? ((safeParse(setting.value) as Json | undefined) ?? setting.value)
      : setting.value;
  }

  async set(
    name: string,
    value: Json,
    options: { ifEtag?: string; signal?: AbortSignal } = {},
  ): Promise<string | undefined> {
    const current = await this.read(name, options.signal);
    if (options.ifEtag !== undefined && current?.etag !== options.ifEtag) throw this.changed(name);
    const next = this.o.mode === "feature-flag" ? this.featureFlagJson(name, value, current) : this.keyValue(value);
    const setting = { key: this.keyOf(name), label: this.labelOf(name), ...next, tags: current?.tags };
    try {
      const res = current
        ? await this.o.client.setConfigurationSetting(
            { ...setting, etag: current.etag },
            { onlyIfUnchanged: true, abortSignal: options.signal },
          )
        : await this.o.client.addConfigurationSetting(setting, { abortSignal: options.signal });
      return res.etag;
    } catch (e) {
      throw await this.writeFailure(name, e, "set", options.signal);
    }
  }

  async delete(name: string, options: { ifEtag?: string; signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.o.client.deleteConfigurationSetting(
        { key: this.keyOf(name), label: this.labelOf(name), etag: options.ifEtag },
        { onlyIfUnchanged: options.ifEtag !== undefined, abortSignal: options.signal },
      );
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw await this.writeFailure(name, e, "delete", options.signal);
    }
  }

  /** Keep whatever the flag already holds; change only `enabled` (or take a whole flag object). */
  private featureFlagJson(
    name: string,
    value: Json,
    current: ConfigurationSetting | undefined,
  ): { value: string; contentType: string } {
    let flag: Record<string, unknown>;
    if (typeof value === "boolean") {
      const existing = safeParse(current?.value);
      flag =
        typeof existing === "object" && existing !== null && !Array.isArray(existing)
          ? { ...(existing as Record<string, unknown>) }
          : {};
      flag.enabled = value;
    } else if (
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      typeof value.enabled === "boolean"
    ) {
      flag = { ...value };
    } else {
      throw new CutoverError(
        ErrorCode.Config,
        `App Configuration: feature flag ${name} takes true/false (or a whole flag object with "enabled"), not ` +
          `${JSON.stringify(value)}`,
        {
          hint: "Use `mode: key-value` on the provider for string values.",
        },
      );
    }
    // The app looks the flag up by its own name: a slot's copy is still `Name`.
    flag.id = this.split(name).base;
    flag.conditions ??= { client_filters: [] };
    return { value: JSON.stringify(flag), contentType: featureFlagContentType };
  }

  /**
   * Text is stored as is; anything else as JSON with the JSON content type,
   * so it reads back as the same value (`true` stays a boolean, and flag.set
   * can tell "already set" from "different" after a crash).
   */
  private keyValue(value: Json): { value: string; contentType?: string } {
    if (typeof value === "string") return { value };
    return { value: JSON.stringify(value), contentType: "application/json" };
  }

  /**
   * A refused write: a locked (read-only) key answers 409, and a lock taken
   * between our read and our write can surface as 412 too. Retrying cannot
   * help a locked key, so it is named as such and not retried; a 412 on an
   * unlocked key is a concurrent edit (retryable).
   */
  private async writeFailure(name: string, e: unknown, verb: "set" | "delete", signal?: AbortSignal): Promise<unknown> {
    const status = statusOf(e);
    if (status !== 409 && status !== 412) {
      return translateAzureError(e, {
        service: "App Configuration",
        operation: `${verb} flag ${name}`,
        resource: this.where(name),
      });
    }
    const now = await this.read(name, signal).catch(() => undefined);
    if (status === 409 || now?.isReadOnly) {
      return new CutoverError(
        ErrorCode.Provider,
        `App Configuration: flag ${name} (${this.where(name)}) is locked (read-only); cutover cannot ${verb} it`,
        {
          hint:
            "Someone locked the key (portal: Configuration explorer → Unlock, or `az appconfig kv unlock`); unlock " +
            "it, then retry the step.",
          details: { status, locked: now?.isReadOnly ?? status === 409 },
          retryable: false,
        },
      );
    }
    return this.changed(name);
  }

  private changed(name: string): CutoverError {
    return new CutoverError(
      ErrorCode.Provider,
      `App Configuration: flag ${name} (${this.where(name)}) was changed by someone else since cutover read it`,
      {
        hint: "Check who changed it and its current value, then retry the step.",
        details: { status: 412 },
        retryable: true,
      },
    );
  }
}

function safeParse(s: string | undefined): unknown {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
