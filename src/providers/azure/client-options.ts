/**
 * The SDK pipeline options of every Azure client: retries, a per-try request
 * timeout, a private CA, plain http for loopback emulators. Loads
 * @azure/core-rest-pipeline, so only the modules a provider's create()
 * imports on demand import this one.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { RestError, type PipelinePolicy } from "@azure/core-rest-pipeline";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { ProviderContext } from "../../core/provider.js";
import { RetryConfig, isLoopbackHttp } from "./connection-options.js";

export interface CommonPipelineOptions {
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: { position: "perRetry"; policy: PipelinePolicy }[];
  tlsOptions?: { ca: string };
  allowInsecureConnection?: boolean;
}

export function pipelineOptions(
  retry: RetryConfig | undefined,
  caCertFile: string | undefined,
  ctx: Pick<ProviderContext, "baseDir">,
  url?: string,
): CommonPipelineOptions {
  const r = RetryConfig.parse(retry ?? {});
  const options: CommonPipelineOptions = {
    retryOptions: { maxRetries: r.maxRetries, retryDelayInMs: r.retryDelayMs, maxRetryDelayInMs: r.maxRetryDelayMs },
    additionalPolicies: [{ position: "perRetry", policy: requestTimeoutPolicy(r.requestTimeoutMs) }],
  };
  if (caCertFile) {
    const file = path.resolve(ctx.baseDir, caCertFile);
    try {
      options.tlsOptions = { ca: readFileSync(file, "utf8") };
    } catch (e) {
      throw new CutoverError(ErrorCode.Config, `cannot read caCertFile ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  // Plain http only makes sense for a local emulator (Azurite); allow it for loopback addresses only.
  if (url && isLoopbackHttp(url)) options.allowInsecureConnection = true;
  return options;
}

/**
 * The SDK pipelines have no request timeout by default, and their own
 * `timeout` ends in an AbortError the retry policy does not retry. Each try
 * gets a timer here instead; a try that times out fails as ETIMEDOUT, which
 * the SDK's retry policy retries like any network error.
 */
function requestTimeoutPolicy(ms: number): PipelinePolicy {
  return {
    name: "cutoverRequestTimeout",
    sendRequest: async (request, next) => {
      const outer = request.abortSignal;
      const ctl = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, ms);
      const onAbort = () => ctl.abort();
      if (outer?.aborted) ctl.abort();
      else outer?.addEventListener("abort", onAbort, { once: true });
      request.abortSignal = ctl.signal;
      try {
        return await next(request);
      } catch (e) {
        if (timedOut && !outer?.aborted)
          throw new RestError(`no answer within ${ms} ms`, { code: "ETIMEDOUT", request });
        throw e;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener("abort", onAbort);
        request.abortSignal = outer;
      }
    },
  };
}
