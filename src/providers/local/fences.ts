/**
 * The supervisor's memory of fencing tokens: the highest lease token it has seen per environment,
 * kept in `<dir>/fences.json` so a restarted supervisor still refuses a stale run.
 *
 * A run that was stopped (SIGSTOP, a frozen container) and lost its lease to `abort` must not stop,
 * deploy or swap anything when it continues, even before its heartbeat notices LEASE_LOST: every
 * change it asks for carries its token, and a token lower than one already seen is refused (409).
 * Equal tokens pass (one run makes many calls); a call without a token (a person's `cutover local`
 * command) is not fenced.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "./files.js";
import { Refused } from "./supervisor.js";

export class FenceBook {
  private readonly file: string;
  private readonly highest: Record<string, number>;
  private saving: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.file = path.join(dir, "fences.json");
    this.highest = readHighest(this.file);
  }

  /** Refuse `token` if a higher one was seen for `environment`; remember it otherwise (durably). */
  async admit(environment: string, token: number): Promise<void> {
    const seen = this.highest[environment] ?? 0;
    if (token < seen) {
      throw new Refused(
        `stale fencing token ${token} for environment ${environment}: a run holding token ${seen} has acted since; ` +
          `this run lost its lease, so its change was refused (if the state directory was recreated, delete ` +
          `${this.file})`,
      );
    }
    if (token === seen) return this.saving;
    this.highest[environment] = token;
    const text = JSON.stringify(this.highest, null, 2) + "\n";
    this.saving = this.saving.then(() => writeFileAtomic(this.file, text));
    return this.saving;
  }
}

function readHighest(file: string): Record<string, number> {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    const out: Record<string, number> = Object.create(null) as Record<string, number>;
    if (parsed && typeof parsed === "object") {
      for (const [k, v] of Object.entries(parsed)) if (Number.isSafeInteger(v)) out[k] = v as number;
    }
    return out;
  } catch {
    return Object.create(null) as Record<string, number>; // none yet (or unreadable: the next change rewrites it)
  }
}
