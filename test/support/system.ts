/**
 * The real components some tests drive (nginx, openssl, PostgreSQL, Chromium) are found here, or the test fails
 * with ONE line that says how to get them instead of `spawnSync nginx ENOENT`. tools/test-deps.sh (npm's
 * `pretest`, and .ci/run) installs or starts all of them.
 */
import fs from "node:fs";
import path from "node:path";

const HOW = "run tools/test-deps.sh as root (npm test runs it first)";

/** A component of the machine the tests need is missing; the message is one line and says how to get it. */
export class MissingComponentError extends Error {
  constructor(what: string, how: string) {
    super(`${what}: ${how}`);
    this.name = "MissingComponentError";
    this.stack = `${this.name}: ${this.message}`; // the stack says nothing about the machine: leave it out
  }
}

/** Where `name` is on PATH or in `dirs` (Debian's PATH for non-root users lacks the sbin directories). */
function findExecutable(name: string, dirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...dirs]) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The path of `name`, or a MissingComponentError naming the Debian package that provides it. */
export function requireExecutable(name: string, debianPackage: string, dirs: string[] = []): string {
  const file = findExecutable(name, dirs);
  if (!file)
    throw new MissingComponentError(`${name} is not installed`, `${HOW}, or: apt-get install ${debianPackage}`);
  return file;
}

/** The nginx binary the tests and benchmarks run privately (their own config, pid file and port). */
export function nginxBinary(): string {
  return requireExecutable("nginx", "nginx-light", ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"]);
}

/**
 * Debian's Chromium, which the web page's browser tests drive through playwright-core (it never downloads a
 * browser of its own): always /usr/bin/chromium, the path the tests launch.
 */
export function chromiumBinary(file = "/usr/bin/chromium"): string {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new MissingComponentError("chromium is not installed", `${HOW}, or: apt-get install chromium`);
  }
  return file;
}

/** The error for a PostgreSQL the tests cannot reach at `url` (the cause in brackets, on the same line). */
export function postgresUnreachable(url: string, cause: unknown): MissingComponentError {
  const e = cause as { message?: string; code?: string };
  const why = e?.message?.split("\n")[0] || e?.code || String(cause);
  const where = new URL(url);
  where.password = "";
  return new MissingComponentError(
    `PostgreSQL is not reachable at ${where.host} (${why})`,
    `${HOW}, or set CUTOVER_TEST_PG_URL`,
  );
}
