/**
 * `provider: azure-appconfig`: flags (capability `flags`) in an Azure App
 * Configuration store, as feature flags Microsoft.FeatureManagement reads or
 * as plain key-values.
 *
 * The definition loads without any @azure/* module; create() imports the
 * client on demand (appconfig-connect.ts).
 */
import { z } from "zod";
import { Flags } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import type { AppConfigFlagStore } from "./appconfig-flag-store.js";
import { usesIdentity } from "./auth-options.js";
import { clientFields, endpointField, endpointOrConnectionString } from "./connection-options.js";
import { connectOnDemand, signInPreflight } from "./lazy-provider.js";

/**
 * @azure/app-configuration 1.12 (the last release for Node 20) puts keys and
 * labels into the request URL unencoded (azure-sdk-for-js issue #39657, fixed
 * by PR #39670 in 1.13, which needs Node 22): a label `blue&green` is sent as
 * `label=blue&green` and stored under `blue`; `#` cuts the URL, `?` starts the
 * query inside a key, `%` is read as an escape. Refused before anything runs.
 */
const URL_SAFE = /^[^&#?%]*$/;
const UNSAFE_MESSAGE =
  "must not contain &, #, ? or %: @azure/app-configuration 1.12 sends it unencoded and the store would file the " +
  "key elsewhere";

export const AzureAppConfigConfig = z
  .object({
    endpoint: endpointField(
      "Store URL, e.g. https://<store>.azconfig.io, used with an Entra identity (role App Configuration Data Owner).",
    ),
    connectionStringSecret: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Name of the secret or environment variable holding the store's connection string " +
          "(Endpoint=…;Id=…;Secret=…, signed with HMAC); used instead of endpoint + identity when it is set.",
      ),
    mode: z
      .enum(["feature-flag", "key-value"])
      .default("feature-flag")
      .describe(
        "`feature-flag`: `.appconfig.featureflag/<name>` in the Microsoft.FeatureManagement format (value " +
          "true/false); `key-value`: a plain key.",
      ),
    label: z
      .string()
      .regex(URL_SAFE, UNSAFE_MESSAGE)
      .optional()
      .describe("Label of the flag's key (e.g. `production`); omitted means the null label. No `&`, `#`, `?`, `%`."),
    keyPrefix: z
      .string()
      .regex(URL_SAFE, UNSAFE_MESSAGE)
      .default("")
      .describe("Prefix of key-value flag keys, e.g. `MyApp:` (key-value mode only). No `&`, `#`, `?`, `%`."),
    slots: z
      .array(z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58})$/, "a slot name: letters, digits and hyphens"))
      .min(1)
      .optional()
      .describe(
        "Slot names a per-slot flag `Name@<slot>` may name (its label: `<slot>`, or `<label>@<slot>` with " +
          "`label`); any App Service slot name when absent. Other suffixes are refused.",
      ),
    audience: z
      .string()
      .url()
      .optional()
      .describe("Entra audience for sovereign clouds (default derived from the endpoint)."),
    ...clientFields,
  })
  .strict()
  .refine(...endpointOrConnectionString)
  .describe("Azure App Configuration as the flag store (maintenance mode and friends).");
export type AzureAppConfigConfig = z.infer<typeof AzureAppConfigConfig>;

export const azureAppConfigProvider: ProviderDefinition<AzureAppConfigConfig, AppConfigFlagStore> = {
  kind: "azure-appconfig",
  summary:
    "Flags in Azure App Configuration (Microsoft.FeatureManagement feature flags or labelled key-values), " +
    "ETag-conditional",
  config: AzureAppConfigConfig,
  capabilities: [Flags],
  preflight: signInPreflight((config, ctx) =>
    usesIdentity(config, ctx) && config.endpoint ? appConfigScope(config.endpoint, config.audience) : undefined,
  ),
  create: connectOnDemand(async () => (await import("./appconfig-connect.js")).connectAppConfigFlags),
};

/** The token scope @azure/app-configuration asks for (its getScope): the audience, else by the endpoint's cloud. */
function appConfigScope(endpoint: string, audience: string | undefined): string {
  if (audience) return `${audience}/.default`;
  const host = new URL(endpoint).hostname;
  if (/(azconfig|appconfig)\.azure\.us$/.test(host)) return "https://appconfig.azure.us/.default";
  if (/(azconfig|appconfig)\.azure\.cn$/.test(host)) return "https://appconfig.azure.cn/.default";
  return "https://appconfig.azure.com/.default";
}
