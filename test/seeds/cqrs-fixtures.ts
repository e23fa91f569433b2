/**
 * What the two CQRS seed tests (S1, S2) share: the baseline a version's web role and worker start as, the
 * demo database, a queue name of their own on the shared broker, and the "every accepted order was handled
 * exactly once" check.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "vitest";
import type { AppSpec } from "../../src/core/slots.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { rabbitmqctlReader } from "../../src/providers/rabbitmq/readers.js";
import { ROOT } from "../support/cli.js";

export const uniqueQueue = (): string => `cqrs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** `version`'s web role with one worker, as the playbooks' `baseline` declares them. */
export function cqrsSpec(version: "v1" | "v2", worker: "handler" | "processor", queue: string): AppSpec {
  return {
    version,
    command: ["node", path.join(ROOT, `demo/cqrs/${version}/web.js`)],
    cwd: path.join(ROOT, "playbooks"),
    env: { CQRS_QUEUE: queue },
    healthPath: "/health",
    healthTimeoutMs: 15_000,
    workers: [{ name: worker, command: ["node", path.join(ROOT, `demo/cqrs/${version}/handler.js`)], env: {} }],
  };
}

/** Start the local environment of `stateDir` with `spec` in blue; its public URL. */
export async function startBaseline(stateDir: string, spec: AppSpec): Promise<string> {
  const up = await localUp({ dir: path.join(stateDir, "local"), baseline: spec });
  return up.status.publicUrl;
}

/** Read the demo database of `stateDir`. */
export function db<T>(stateDir: string, fn: (d: Database.Database) => T): T {
  const d = new Database(path.join(stateDir, "local", "demo.sqlite"), { readonly: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

export async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Writes the load generator saw accepted. */
export const acceptedOf = (r: { samples: { kind: string; status: number }[] }): number =>
  r.samples.filter((s) => s.kind === "write" && s.status === 201).length;

/**
 * The queues are empty, and every accepted write is one order handled exactly once (none lost on the bus,
 * none handled twice); no other order exists.
 */
export async function expectEveryOrderHandledOnce(stateDir: string, accepted: number, queues: string[]) {
  for (const queue of queues) {
    const read = rabbitmqctlReader("rabbitmqctl", "/", queue);
    await until(`queue ${queue} to empty`, async () => {
      const r = await read(queue);
      return r.ready + r.inFlight === 0;
    });
  }
  const { orders, deliveries } = db(stateDir, (d) => ({
    orders: (d.prepare("select count(*) as n from orders").get() as { n: number }).n,
    deliveries: d.prepare("select deliveries, count(*) as n from handled_messages group by deliveries").all(),
  }));
  expect(orders).toBe(accepted);
  expect(deliveries).toEqual(accepted ? [{ deliveries: 1, n: accepted }] : []);
}
