/**
 * For tests that check which modules a command loads: script text that registers a module resolve hook writing
 * every resolved URL, one per line, to `log`. Put it at the top of a child's `--input-type=module -e` script,
 * before the imports it watches; the hook runs in Node's loader thread and records each URL before its import.
 */
const HOOK = `
import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(log, r.url + "\\n");
  return r;
}`;

export function logResolvedModules(log: string): string {
  return `
import { register as registerResolveLog } from "node:module";
import { writeFileSync as resetResolveLog } from "node:fs";
resetResolveLog(${JSON.stringify(log)}, "");
registerResolveLog("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { log: ${JSON.stringify(log)} } });
`;
}
