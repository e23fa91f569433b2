/** Temp state directories for the file-store tests, removed afterwards. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FileStore, type FileStoreOptions } from "../../src/providers/file/index.js";

export async function tempDir(prefix = "cutover-file-store-"): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A file store in a fresh temp directory (its `.cutover` subfolder, to check it gets created). */
export async function tempStore(
  options: Partial<FileStoreOptions> = {},
): Promise<{ store: FileStore; root: string; cleanup(): Promise<void> }> {
  const { dir, cleanup } = await tempDir();
  const store = new FileStore({ dir: path.join(dir, ".cutover"), ...options });
  return { store, root: dir, cleanup };
}
