/**
 * A call to the supervisor's admin API: finds the port in supervisor.json and
 * the token in admin.token. Uses node:http (not fetch) so long-polls such as
 * a drain may last longer than fetch's header timeout.
 */
import http from "node:http";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { localPaths, readJsonFile, readTokenFile } from "./files.js";
import type { SupervisorInfo } from "./supervisor.js";

export interface AdminCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The caller's lease on its environment: the supervisor refuses a token lower than one it has seen. */
  fence?: { environment: string; token: number };
}

/** Headers carrying the fencing token (admin.ts reads them). */
export const FENCE_ENVIRONMENT_HEADER = "x-cutover-fence-environment";
export const FENCE_TOKEN_HEADER = "x-cutover-fence-token";

export async function adminCall<T>(
  dir: string,
  method: string,
  path: string,
  body?: unknown,
  opts: AdminCallOptions = {},
): Promise<T> {
  const paths = localPaths(dir);
  const info = await readJsonFile<SupervisorInfo>(paths.supervisorInfo);
  const token = readTokenFile(paths.adminToken);
  if (!info || !token) {
    throw new CutoverError(ErrorCode.Provider, `the local environment in ${dir} is not running`, {
      hint: "start it with `cutover local up`",
      retryable: true,
    });
  }
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: info.adminPort,
        method,
        path,
        agent: false,
        signal: opts.signal,
        timeout: opts.timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          ...(opts.fence
            ? { [FENCE_ENVIRONMENT_HEADER]: opts.fence.environment, [FENCE_TOKEN_HEADER]: String(opts.fence.token) }
            : {}),
          ...(text !== undefined
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(text) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = raw ? JSON.parse(raw) : {};
          } catch {
            parsed = { error: raw };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const message = (parsed as { error?: string }).error ?? `HTTP ${status}`;
          // 409: the environment's state says no (not retryable); 5xx and 422 (start failed) may pass.
          if (status === 409 && message.startsWith("stale fencing token")) {
            return reject(
              new CutoverError(ErrorCode.LeaseLost, `local supervisor: ${message}`, {
                retryable: false,
                details: { status },
              }),
            );
          }
          reject(
            new CutoverError(ErrorCode.Provider, `local supervisor: ${message}`, {
              retryable: status !== 409 && status !== 400 && status !== 401,
              details: { status },
            }),
          );
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.name === "AbortError" || opts.signal?.aborted) {
        // Rethrow the engine's own reason (a step timeout, an operator cancel) unchanged.
        const reason: unknown = opts.signal?.reason;
        return reject(
          reason instanceof Error ? reason : new CutoverError(ErrorCode.Cancelled, `${method} ${path} cancelled`),
        );
      }
      reject(
        new CutoverError(
          ErrorCode.Provider,
          `cannot reach the local supervisor on port ${info.adminPort}: ${e.code ?? e.message}`,
          {
            hint: "check it with `cutover local status`; start it with `cutover local up`",
            retryable: true,
          },
        ),
      );
    });
    req.end(text);
  });
}
