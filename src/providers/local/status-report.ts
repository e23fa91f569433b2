/** What `status` reports: the supervisor's state joined with live counts and health. No env values. */
import type { FlagBoard } from "./flags.js";
import { isPidAlive } from "./files.js";
import type { ReverseProxy } from "./proxy.js";
import { SLOT_NAMES, type LocalStatus, type SlotHealth, type SlotName } from "../../core/slots.js";
import { type LocalState } from "./types.js";
import { workerStatus } from "./workers.js";

export interface StatusSources {
  dir: string;
  startedAt: string;
  state: LocalState;
  health: Record<SlotName, SlotHealth>;
  proxy: ReverseProxy;
  flags: FlagBoard;
  workerRestarts: Record<SlotName, Record<string, number>>;
}

export function buildStatus(src: StatusSources): LocalStatus {
  const { state, proxy, flags } = src;
  const slots = Object.fromEntries(
    SLOT_NAMES.map((slot) => {
      const rec = state.slots[slot];
      return [
        slot,
        {
          slot,
          live: slot === state.live,
          port: rec.port,
          url: `http://127.0.0.1:${rec.port}`,
          version: rec.spec?.version,
          command: rec.spec?.command,
          envKeys: rec.spec ? Object.keys(rec.spec.env).sort() : undefined,
          running: rec.running && isPidAlive(rec.pid),
          health: rec.running ? src.health[slot] : "stopped",
          pid: rec.running ? rec.pid : undefined,
          startedAt: rec.running ? rec.startedAt : undefined,
          ...proxy.counts(slot),
          flagsRevApplied: flags.appliedBy(slot, rec.pid),
          ...(rec.spec?.workers?.length
            ? { workers: workerStatus(rec.spec, rec.running ? rec.workers : undefined, src.workerRestarts[slot]) }
            : {}),
        },
      ];
    }),
  ) as LocalStatus["slots"];
  return {
    dir: src.dir,
    supervisorPid: process.pid,
    startedAt: src.startedAt,
    publicUrl: `http://127.0.0.1:${state.publicPort}`,
    adminUrl: `http://127.0.0.1:${state.adminPort}`,
    live: state.live,
    ...(state.canary ? { canary: state.canary } : {}),
    slots,
    flags: flags.values(),
    flagsRev: flags.revision,
    requestsServed: proxy.served,
  };
}
