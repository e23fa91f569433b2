/** Small file helpers for the local environment: atomic JSON writes and 0600 secrets. */
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";

/** Write-then-rename, fsynced, so a crash leaves the old or the new file, never half of one. */
export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  const fh = await fsp.open(tmp, "w", mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  // fsync the directory so the rename itself is durable.
  try {
    const dh = await fsp.open(path.dirname(file), "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some filesystems refuse directory fsync; the rename is still atomic.
  }
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

/** Whether `pid` is a live process (a zombie awaiting its reaper counts as dead). */
export function isPidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; state Z is a zombie (containers may lack a reaping init).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true; // No /proc (not Linux): trust kill(0).
  }
}
