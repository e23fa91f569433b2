/** The backup file's checks, shared by the PostgreSQL and SQLite snapshots. */
import { createHash } from "node:crypto";
import fs from "node:fs";
import type { Json } from "../../core/json.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { targetHashOf, type BackupInfo } from "./snapshots.js";

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Refuse to restore a backup that is gone, was changed since it was taken, or was taken from another
 * database: restoring it would put the wrong data in place.
 */
export async function verifyBackupFile(info: BackupInfo, target: string): Promise<void> {
  if (info.targetHash !== targetHashOf(target)) {
    throw new CutoverError(ErrorCode.Config, `backup ${info.file} was taken from another database than ${target}`, {
      hint: "restore it into the database it came from, or point the step's target at that database",
    });
  }
  if (!fs.existsSync(info.file)) {
    throw new CutoverError(ErrorCode.StepFailed, `backup file ${info.file} is missing`, {
      hint: "put the file back where the backup step wrote it (its sha256 is in the run's journal)",
    });
  }
  const sum = await fileSha256(info.file);
  if (sum !== info.sha256) {
    throw new CutoverError(ErrorCode.StepFailed, `backup file ${info.file} changed since it was taken`, {
      hint: `its sha256 was ${info.sha256}, now ${sum}; restore from an intact copy`,
    });
  }
}

/** A database row as plain JSON (timestamps as ISO text, bigints as numbers). */
export function jsonRow(r: Record<string, unknown>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(r)) {
    out[k] = v instanceof Date ? v.toISOString() : typeof v === "bigint" ? Number(v) : ((v ?? null) as unknown as Json);
  }
  return out;
}
