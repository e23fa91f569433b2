/**
 * Small file helpers for the local environment: atomic JSON writes, 0600
 * secrets, and the permission rules of its directory: directories 0700,
 * files 0600, a looser pre-existing directory tightened with a warning, and
 * log files opened without following a symbolic link (one planted in the
 * directory would make the supervisor append to any file its user can write).
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { writeFileAtomic as atomicWrite } from "../../core/atomic-write.js";

/**
 * Write-then-rename, fsynced, so a crash leaves the old or the new file, never half of one (src/core/atomic-write.ts).
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  return atomicWrite(file, text, { mode });
}

export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, "utf8")) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Read a token file, creating it (0600, random) if absent. */
export function ensureTokenFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const token = crypto.randomBytes(32).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, token + "\n", { mode: 0o600, flag: "wx" });
  } catch (e) {
    // Lost a race with another starter: theirs wins.
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return fs.readFileSync(file, "utf8").trim();
    throw e;
  }
  return token;
}

export function readTokenFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The files of a local environment directory. */
export function localPaths(dir: string) {
  return {
    dir,
    state: path.join(dir, "state.json"),
    adminToken: path.join(dir, "admin.token"),
    appsToken: path.join(dir, "apps.token"),
    supervisorInfo: path.join(dir, "supervisor.json"),
    supervisorLog: path.join(dir, "supervisor.log"),
    logs: path.join(dir, "logs"),
  };
}

/** Whether `pid` is a live process (a zombie awaiting its reaper counts as dead): src/core/process-identity.ts. */
export { isPidAlive } from "../../core/process-identity.js";

/** Files and directories the local environment creates are its user's only: processes it starts inherit this umask. */
export const PRIVATE_UMASK = 0o077;

/** Where permission warnings go (stderr: they must not mix with `-o json` on stdout). */
export type Warn = (message: string) => void;
const toStderr: Warn = (m) => process.stderr.write(`warning: ${m}\n`);

/** Create `dir` 0700, or tighten an existing one that others may read or write, saying so. */
export function ensurePrivateDir(dir: string, warn: Warn = toStderr): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new CutoverError(
      ErrorCode.Config,
      `${dir} must be a directory of its own, not ${st.isSymbolicLink() ? "a symbolic link" : "a file"}`,
    );
  }
  const mode = st.mode & 0o777;
  if (mode & 0o077) {
    fs.chmodSync(dir, 0o700);
    warn(
      `${dir} was open to other users (mode ${mode.toString(8).padStart(4, "0")}); it holds tokens, logs and the ` +
        `demo database: now 0700`,
    );
  }
}

/**
 * Open `file` to append to it, created 0600: never through a symbolic link
 * (O_NOFOLLOW), never anything but a regular file, and tightened to 0600.
 */
export function openPrivateAppend(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(
      file,
      fs.constants.O_WRONLY |
        fs.constants.O_APPEND |
        fs.constants.O_CREAT |
        fs.constants.O_NOFOLLOW |
        fs.constants.O_NONBLOCK,
      0o600,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP")
      throw new CutoverError(ErrorCode.Config, `${file} is a symbolic link; refusing to write through it (remove it)`);
    throw e;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new CutoverError(ErrorCode.Config, `${file} is not a regular file; refusing to write to it (remove it)`);
  }
  if (st.mode & 0o077) fs.fchmodSync(fd, 0o600);
  return fd;
}
