/**
 * Capability tokens: what an action needs from an `environment:` entry, and
 * what a provider's client offers. A token is its name at run time (the name
 * validation, `plan` and the docs show) and carries the client's interface in
 * its type, so `ctx.provider(target, Flags)` returns a FlagStore and a
 * provider whose client lacks the interface does not compile.
 *
 * Two providers offer the same capability only if their clients share its
 * interface: the local proxy and an nginx include file both switch traffic,
 * but through different interfaces, so they are two capabilities and
 * `validate` refuses `local.swap` aimed at an nginx entry.
 */
import type { FlagStore } from "./flag-store.js";
import type { LocalProxyClient, LocalSlotsClient } from "./local-environment.js";
import type { NginxUpstreamClient } from "./nginx-upstream.js";
import type { QueueDepthClient } from "./queue-depth.js";
import type { RunStore } from "./run-store.js";

declare const client: unique symbol;

/**
 * The name of a capability whose client implements `T`. The phantom member is
 * contravariant, so a provider listing the token must return a client that is
 * a `T`, and any token fits an action's `provider.capability` (`CapabilityToken<never>`).
 */
export type CapabilityToken<T> = string & { readonly [client]: (c: T) => void };

/** Declare a capability (its name must be unique among capabilities). */
export function capability<T>(name: string): CapabilityToken<T> {
  return name as CapabilityToken<T>;
}

/** A RunStore (journal + lease): `environment.state`. */
export const RunState = capability<RunStore>("state");
/** A FlagStore: maintenance mode and friends. */
export const Flags = capability<FlagStore>("flags");
/** The local environment's app slots: deploy, stop, revive, status. */
export const LocalSlots = capability<LocalSlotsClient>("local-slots");
/** The local environment's proxy: which slot is live, and the drain of a slot. */
export const LocalProxy = capability<LocalProxyClient>("local-proxy");
/** An nginx upstream include file that routes to the blue or the green servers. */
export const NginxUpstream = capability<NginxUpstreamClient>("nginx-upstream");
/** The approximate depth of a message queue. */
export const QueueDepth = capability<QueueDepthClient>("queue-depth");
