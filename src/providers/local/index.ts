/**
 * `provider: local`: the embedded blue/green environment. The client drives a
 * background supervisor (started on demand) through its admin API.
 * Capabilities: `local-slots`, `local-proxy` (the live-slot switch and drain), `flags`,
 * `traffic-split` (weighted routing between the slots).
 * See docs/local.md.
 */
import path from "node:path";
import type { ProviderDefinition } from "../../core/provider.js";
import { Flags, LocalProxy, LocalSlots } from "../../core/capabilities.js";
import { LocalClient } from "./client.js";
import { TrafficSplit } from "../../core/traffic.js";
import { LocalProviderConfig } from "./config.js";
import { toWorkerSpecs } from "../../core/slots.js";

/** Where the environment lives when the entry names no `dir`. */
export function defaultLocalDir(stateDir: string): string {
  return path.resolve(stateDir, "local");
}

export const localProvider: ProviderDefinition<LocalProviderConfig, LocalClient> = {
  kind: "local",
  summary:
    "Blue/green on this machine: two app slots, a reverse proxy, a flag store, kept running by a background " +
    "supervisor.",
  config: LocalProviderConfig,
  capabilities: [LocalSlots, LocalProxy, Flags, TrafficSplit],
  create(config, ctx) {
    const dir = config.dir !== undefined ? path.resolve(ctx.baseDir, config.dir) : defaultLocalDir(ctx.stateDir);
    const b = config.baseline;
    const baseline = b
      ? {
          version: b.version,
          command: b.command,
          cwd: path.resolve(ctx.baseDir, b.cwd ?? "."),
          env: b.env ?? {},
          healthPath: b.healthPath,
          healthTimeoutMs: 15_000,
          ...toWorkerSpecs(b.workers),
        }
      : undefined;
    return new LocalClient({ dir, publicPort: config.publicPort, baseline });
  },
};

export { LocalClient } from "./client.js";
