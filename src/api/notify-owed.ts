/**
 * `cutover notify [run-id]`: send the notifications a run's journal still owes, outside any session. A session
 * (run, resume, approve, retry, skip, abort) already sends them when it opens a run; this is for a run no command
 * will open again: one that finished, its process killed before the webhook answered (api/notify.ts).
 */
import { Journal } from "../engine/journal.js";
import type { RunEvent } from "../engine/events.js";
import { CutoverError, ErrorCode } from "../core/errors.js";
import { loadPlaybook } from "../playbook/validate.js";
import { registries } from "../runtime.js";
import { openStore, type LocateOptions } from "./inspect.js";
import { Notifier } from "./notify.js";
import { runRedactor } from "./secrets.js";
import { CUTOVER_VERSION } from "./session.js";

export interface OwedResult {
  runId: string;
  /** Deliveries this call made, by result (a journal append that lost a race is counted but not journaled). */
  sent: number;
  failed: number;
}

export async function sendOwedNotifications(runId: string, opts: LocateOptions): Promise<OwedResult> {
  const env = opts.env ?? process.env;
  const located = await openStore(opts);
  try {
    const journal = await Journal.open(located.store, runId);
    const file = opts.playbook ?? journal.state.playbook.file;
    const loaded = loadPlaybook(file, registries);
    if (!loaded.playbook.notify?.length)
      throw new CutoverError(ErrorCode.Usage, `the playbook ${file} has no notify: targets`, {
        hint: "docs/notifications.md explains notify:",
      });
    const redactor = runRedactor(loaded, env);
    const notifier = Notifier.create(loaded.playbook, journal, {
      env,
      redactor,
      userAgent: `cutover/${CUTOVER_VERSION}`,
    })!;
    const result: OwedResult = { runId, sent: 0, failed: 0 };
    journal.onEvent((e: RunEvent) => {
      if (e.type === "notify.sent") result.sent += 1;
      if (e.type === "notify.failed") result.failed += 1;
    });
    notifier.catchUp(await located.store.read(runId));
    await notifier.settle();
    return result;
  } finally {
    await located.close();
  }
}
