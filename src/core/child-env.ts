/**
 * The environment a child process of cutover starts with. A child keeps its environment for its whole
 * life (and `/proc/<pid>/environ` keeps what it started with), so nothing of cutover's environment is
 * handed down wholesale: not CUTOVER_SECRET_* or CUTOVER_PARAM_*, nor any token the operator's shell
 * exports. Only what a program needs to run and behave: where programs are (PATH), who and where the user
 * is (HOME, USER, LOGNAME, TMPDIR), language and time zone (LANG, LC_*, TZ), Windows' SystemRoot, and
 * NODE_EXTRA_CA_CERTS (a file path, for apps that call HTTPS services behind a company CA). No
 * NODE_OPTIONS. A caller adds, on top, exactly what that child needs. See docs/security.md.
 */
const PASSED_DOWN = new Set(["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "LANGUAGE", "TZ"]);
const PASSED_DOWN_TOO = ["SystemRoot", "SYSTEMROOT", "NODE_EXTRA_CA_CERTS"];

export function minimalEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && (PASSED_DOWN.has(k) || PASSED_DOWN_TOO.includes(k) || k.startsWith("LC_"))) out[k] = v;
  }
  return out;
}
