/** The two readers of a RabbitMQ queue's depth (see index.ts for why two, and their sources). */
import { execFile } from "node:child_process";
import { minimalEnv } from "../../core/child-env.js";
import { sleep } from "../../core/timers.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { QueueReading } from "../../core/queue-depth.js";

/** Longest wait for a new queue's first statistics (the default collection interval is 5 s). */
const FIRST_FIGURES_MS = 30_000;

type Reader = (queue?: string, options?: { signal?: AbortSignal }) => Promise<QueueReading>;

const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** The management API: credentials from the URL's user info go in a Basic header (fetch refuses them in URLs). */
export function managementReader(baseUrl: string, vhost: string, defaultQueue: string): Reader {
  const u = new URL(baseUrl);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
  u.username = "";
  u.password = "";
  const base = u.toString().replace(/\/+$/, "");
  const shown = `${u.host}`;
  const fetchQueue = async (queue: string, signal?: AbortSignal): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`, {
      headers: { authorization: auth, accept: "application/json" },
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    }).catch((e: unknown) => {
      throw new CutoverError(ErrorCode.Provider, `RabbitMQ management API at ${shown} unreachable: ${String(e)}`, {
        retryable: true,
        hint: "is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and the port open?",
      });
    });
    if (res.status === 404) {
      throw new CutoverError(ErrorCode.Provider, `RabbitMQ has no queue ${queue} in vhost ${vhost} (at ${shown})`, {
        hint: "check the queue name and `vhost` of the environment entry",
      });
    }
    if (res.status === 401 || res.status === 403) {
      throw new CutoverError(ErrorCode.Provider, `RabbitMQ management API at ${shown} refused the credentials`, {
        hint: "the user needs the `monitoring` tag (or management) to read queues",
      });
    }
    if (!res.ok) {
      throw new CutoverError(ErrorCode.Provider, `RabbitMQ management API at ${shown} answered ${res.status}`, {
        retryable: res.status >= 500,
      });
    }
    return (await res.json()) as Record<string, unknown>;
  };
  return async (queue = defaultQueue, options = {}) => {
    // A queue the statistics collector has not reported on yet comes without its message counts: that is
    // "not known yet", never "empty". Wait for the first figures (they come within the collection interval).
    const deadline = Date.now() + FIRST_FIGURES_MS;
    let q = await fetchQueue(queue, options.signal);
    while (!("messages_ready" in q && "messages_unacknowledged" in q)) {
      if (Date.now() > deadline) {
        throw new CutoverError(ErrorCode.Provider, `RabbitMQ at ${shown} reports no message counts for ${queue}`, {
          retryable: true,
          hint: "is statistics collection disabled on the broker? Use `via: rabbitmqctl`",
        });
      }
      await sleep(250, options.signal);
      q = await fetchQueue(queue, options.signal);
    }
    return {
      ready: count(q.messages_ready),
      inFlight: count(q.messages_unacknowledged),
      consumers: count(q.consumers),
      exact: false,
    };
  };
}

/** `rabbitmqctl list_queues`: asks the queue process itself, so the figures are current. */
export function rabbitmqctlReader(program: string, vhost: string, defaultQueue: string): Reader {
  return (queue = defaultQueue, options = {}) =>
    new Promise<QueueReading>((resolve, reject) => {
      const args = ["-q", "list_queues", "-p", vhost, "name", "messages_ready", "messages_unacknowledged", "consumers"];
      execFile(
        program,
        [...args, "--formatter", "json"],
        // rabbitmqctl finds the Erlang cookie under HOME, which minimalEnv keeps.
        { env: minimalEnv(), signal: options.signal, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) {
            const why = String(stderr || err.message)
              .trim()
              .split("\n")
              .slice(-2)
              .join(" | ");
            return reject(
              new CutoverError(ErrorCode.Provider, `rabbitmqctl list_queues failed: ${why}`, {
                retryable: true,
                hint: "run it where the broker runs, as a user holding its Erlang cookie",
              }),
            );
          }
          let rows: Record<string, unknown>[];
          try {
            rows = JSON.parse(stdout || "[]") as Record<string, unknown>[];
          } catch {
            return reject(new CutoverError(ErrorCode.Provider, "rabbitmqctl list_queues printed something not JSON"));
          }
          const q = rows.find((r) => r.name === queue);
          if (!q) {
            return reject(
              new CutoverError(ErrorCode.Provider, `RabbitMQ has no queue ${queue} in vhost ${vhost}`, {
                hint: "check the queue name and `vhost` of the environment entry",
              }),
            );
          }
          resolve({
            ready: count(q.messages_ready),
            inFlight: count(q.messages_unacknowledged),
            consumers: count(q.consumers),
            exact: true,
          });
        },
      );
    });
}
