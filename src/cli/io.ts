/**
 * Output settings shared by every command: JSON lines or human text,
 * colour (off for NO_COLOR, non-TTY or JSON), verbosity.
 */
import pc from "picocolors";

export interface CliIO {
  json: boolean;
  verbose: boolean;
  tty: boolean;
  yes: boolean;
  stateDir: string;
  out(line: string): void;
  err(line: string): void;
  c: ReturnType<typeof pc.createColors>;
  /** Raw write to stdout (for the TTY renderer's redraws). */
  write(text: string): void;
}

export interface GlobalOptions {
  output?: string;
  verbose?: boolean;
  yes?: boolean;
  stateDir?: string;
  color?: boolean;
}

export function makeIO(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliIO {
  const json = g.output === "json";
  const tty = Boolean(process.stdout.isTTY) && !json;
  const color = tty && g.color !== false && env.NO_COLOR === undefined && env.TERM !== "dumb";
  return {
    json,
    verbose: Boolean(g.verbose),
    tty,
    yes: Boolean(g.yes) || env.CI === "true",
    stateDir: g.stateDir ?? env.CUTOVER_STATE_DIR ?? ".cutover",
    out: (l) => process.stdout.write(l + "\n"),
    err: (l) => process.stderr.write(l + "\n"),
    write: (t) => process.stdout.write(t),
    c: pc.createColors(color),
  };
}
