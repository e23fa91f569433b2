/**
 * `provider: nginx`: an nginx you already run as the load balancer
 * (capability `nginx-upstream`). See docs/local.md.
 */
import path from "node:path";
import { NginxUpstream } from "../../core/capabilities.js";
import type { ProviderDefinition } from "../../core/provider.js";
import { NginxClient } from "./client.js";
import { NginxProviderConfig } from "./config.js";

export const nginxProvider: ProviderDefinition<NginxProviderConfig, NginxClient> = {
  kind: "nginx",
  summary:
    "An nginx load balancer: switch the live slot by rewriting an upstream include file and reloading gracefully.",
  config: NginxProviderConfig,
  capabilities: [NginxUpstream],
  create(config, ctx) {
    return new NginxClient({
      upstreamFile: path.resolve(ctx.baseDir, config.upstreamFile),
      slots: config.slots,
      serverParams: config.serverParams,
      publicUrl: config.publicUrl.replace(/\/+$/, ""),
      test: config.test,
      reload: config.reload,
      pidFile: config.pidFile !== undefined ? path.resolve(ctx.baseDir, config.pidFile) : undefined,
    });
  },
};

export { NginxClient } from "./client.js";
