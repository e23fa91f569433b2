/**
 * Output settings shared by every command: JSON lines or human text,
 * colour (off for NO_COLOR, non-TTY or JSON), verbosity.
 */
import pc from "picocolors";
import { asTyped, commandPrefix } from "./typed-command.js";
import { detectCi, type CiKind } from "./render/ci-kind.js";

export interface CliIO {
  json: boolean;
  verbose: boolean;
  tty: boolean;
  yes: boolean;
  stateDir: string;
  /** The CI service running this process (GitHub Actions, Azure Pipelines), for its native output (docs/ci.md). */
  ci?: CiKind;
  /** `--junit <file>`: write a JUnit XML report of the run's steps there when a command that ran steps ends. */
  junit?: string;
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
  junit?: string;
}

export function makeIO(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliIO {
  const json = g.output === "json";
  const tty = Boolean(process.stdout.isTTY) && !json;
  const color = tty && g.color !== false && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const prefix = json ? "cutover" : commandPrefix(env);
  return {
    json,
    verbose: Boolean(g.verbose),
    tty,
    yes: Boolean(g.yes) || env.CI === "true",
    stateDir: g.stateDir ?? env.CUTOVER_STATE_DIR ?? ".cutover",
    ci: detectCi(env),
    junit: g.junit,
    out: (l) => process.stdout.write(asTyped(l, prefix) + "\n"),
    err: (l) => process.stderr.write(asTyped(l, prefix) + "\n"),
    write: (t) => process.stdout.write(asTyped(t, prefix)),
    c: pc.createColors(color),
  };
}

/**
 * `io` with its `out` lines kept until `flush` writes them at once: a status screen of 200 steps is one write to
 * stdout, not 200 (each a system call on a pipe). Lines on stderr are not held.
 */
export function heldOut(io: CliIO): { io: CliIO; flush(): void } {
  const lines: string[] = [];
  return {
    io: { ...io, out: (l) => void lines.push(l) },
    flush: () => {
      if (lines.length) io.write(lines.join("\n") + "\n");
      lines.length = 0;
    },
  };
}
