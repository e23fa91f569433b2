/**
 * Run ids and environment names become file names (`runs/<id>.jsonl`,
 * `leases/<env>.json`), so they are checked before any path is built: a name
 * such as `../../etc/x` must never reach `path.join`.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Whether `name` is usable as a file name: [A-Za-z0-9._-], 1-128 chars, not starting with a dot. */
export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

export function assertRunId(runId: string): void {
  if (typeof runId !== "string" || !isSafeName(runId)) {
    throw new CutoverError(ErrorCode.Usage, `invalid run id ${JSON.stringify(runId)}`, {
      hint:
        "run ids contain only letters, digits, '.', '_' and '-' (at most 128, not starting with '.'); `cutover " +
        "runs` lists them",
    });
  }
}

export function assertEnvironmentName(environment: string): void {
  if (typeof environment !== "string" || !isSafeName(environment)) {
    throw new CutoverError(ErrorCode.Config, `invalid environment name ${JSON.stringify(environment)}`, {
      hint: "environment names contain only letters, digits, '.', '_' and '-' (at most 128, not starting with '.')",
    });
  }
}
