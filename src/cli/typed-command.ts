/**
 * Commands cutover prints (hints, next steps, the demo's summary) must work as typed. Run through `npx cutover`
 * or `npm exec`, the bin is on the PATH npm gives this process but not on the person's shell, where a bare
 * `cutover local status` is "command not found"; so human output then says `npx cutover local status`.
 * JSON output keeps the canonical `cutover …` (machines, not shells, read it).
 */

/** The top-level commands (test/package/typed-command.test.ts checks this against the program). */
export const COMMANDS = [
  "validate",
  "plan",
  "run",
  "resume",
  "step",
  "approve",
  "retry",
  "skip",
  "abort",
  "status",
  "report",
  "notify",
  "runs",
  "unlock",
  "schema",
  "local",
  "migrate",
  "serve",
] as const;

const COMMAND_MENTION = new RegExp(`(?<![\\w./-]|npx )cutover (?=(?:${COMMANDS.join("|")})\\b)`, "g");

/**
 * How a person invokes cutover from the shell this process was started from. npx (and `npm exec`) runs its
 * command as the npm script `'cutover'`; a cutover started by something else npx ran (`npx vitest`) is not it.
 */
export function commandPrefix(env: NodeJS.ProcessEnv): "npx cutover" | "cutover" {
  const viaNpx = env.npm_command === "exec" && /^'?cutover'?(\s|$)/.test(env.npm_lifecycle_script ?? "");
  return viaNpx ? "npx cutover" : "cutover";
}

/** `text` with each mention of a cutover command written the way `prefix` invokes it. */
export function asTyped(text: string, prefix: string): string {
  return prefix === "cutover" ? text : text.replace(COMMAND_MENTION, `${prefix} `);
}
