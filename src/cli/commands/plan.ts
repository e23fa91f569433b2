/** `cutover plan <playbook>`: the ordered steps, what each would do, what can be undone, points of no return. */
import type { Command } from "commander";
import { planPlaybook } from "../../api/inspect.js";
import { openStore } from "../../api/inspect.js";
import { isLeaseLive } from "../../core/run-store.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { quote } from "../../playbook/echo.js";
import { parseParamArgs } from "../../playbook/params.js";
import type { CliIO } from "../io.js";
import { openRunOf, whereItStands } from "../../api/admission.js";
import type { RunState } from "../../engine/reducer.js";
import { collect, withIO } from "../shared.js";

const UNDO_TEXT = {
  recorded: "undo: restores what it changed",
  override: "undo: the playbook's own undo step",
  none: "nothing to undo",
  disabled: "undo: none (left in place on abort)",
  irreversible: "POINT OF NO RETURN: abort cannot take it back",
} as const;

export function register(program: Command): void {
  program
    .command("plan")
    .description(
      "show what a run would do, step by step, which steps abort can undo and the points of no return; changes nothing",
    )
    .argument("<playbook>", "the playbook YAML file")
    .option("-p, --param <name=value>", "a param value (repeatable)", collect, [])
    .action(
      withIO(async (io, file: string, opts: { param: string[] }) =>
        printPlan(io, file, parseParamArgs(opts.param), false),
      ),
    );
}

export async function printPlan(
  io: CliIO,
  file: string,
  params: Record<string, string>,
  dryRun: boolean,
  approve: string[] = [],
): Promise<void> {
  const { loaded, entries } = planPlaybook(file, { params });
  // `run --dry-run --approve x` refuses what `run --approve x`
  // refuses (src/api/run.ts), not print a plan that looks fine.
  for (const id of approve) {
    const step = entries.find((e) => e.kind !== "group" && e.id === id);
    if (!step)
      throw new CutoverError(ErrorCode.Usage, `--approve ${quote(id)}: the playbook has no step ${quote(id)}`, {
        hint: gatesHint(entries),
      });
  }
  let lease;
  let leaseError: string | undefined;
  let open: RunState | undefined;
  try {
    const s = await openStore({ stateDir: io.stateDir, playbook: file });
    lease = await s.store.readLease(loaded.environment);
    open = await openRunOf(s.store, loaded.environment).finally(() => s.close());
  } catch (e) {
    // plan works without reaching the state store, but says it could not look
    leaseError = e instanceof Error ? e.message.split("\n")[0] : String(e);
  }
  if (io.json) {
    io.out(
      JSON.stringify({
        type: "plan",
        dryRun,
        playbook: loaded.playbook.name,
        environment: loaded.environment,
        hash: loaded.hash,
        lease: isLeaseLive(lease) ? lease : null,
        leaseError: leaseError ?? null,
        openRun: open ? { runId: open.runId, status: open.status, at: whereItStands(open) } : null,
        steps: entries,
      }),
    );
    return;
  }
  const c = io.c;
  io.out(
    c.bold(`${dryRun ? "dry run" : "plan"}: ${loaded.playbook.name} → environment ${loaded.environment}`) +
      (loaded.playbook.description ? c.dim(`  ${loaded.playbook.description}`) : ""),
  );
  if (leaseError)
    io.out(c.yellow(`  the environment's lease is unknown: the state store could not be read (${leaseError})`));
  else if (open) {
    // A new run is refused while this one is open (src/api/admission.ts): say so before anyone tries.
    io.out(
      c.yellow(
        `  the environment has an open run: ${open.runId} is ${whereItStands(open)}; a new run is refused until it is`,
      ),
    );
    io.out(
      c.yellow(
        `  resumed or aborted (cutover resume|abort ${open.runId}), or superseded (cutover run ${file} ` +
          `--supersede ${open.runId})`,
      ),
    );
  } else
    io.out(
      isLeaseLive(lease)
        ? c.yellow(`  the environment is locked by ${lease.holder} until ${lease.expiresAt}`)
        : c.dim("  the environment is free"),
    );
  let n = 0;
  for (const e of entries) {
    const pad = "  ".repeat(e.depth + 1);
    if (e.kind === "group") {
      io.out(
        `${pad}${c.bold(e.id)} ` +
          `${c.dim(e.parallel ? `(parallel${e.maxParallel ? `, ${e.maxParallel} at a time` : ""})` : "(in order)")}` +
          `${e.when !== undefined ? c.dim(` when ${String(e.when)}`) : ""}`,
      );
      continue;
    }
    n++;
    const flag = (e.pointOfNoReturn ? c.red(" ⚠") : "") + (e.barrier ? c.red(" ⛔") : "");
    io.out(`${pad}${String(n).padStart(2)}. ${c.bold(e.id)}${flag} ${c.dim(`[${e.action}]`)} ${e.summary}`);
    const notes: string[] = [UNDO_TEXT[e.undo!]];
    if (e.members)
      notes.push(
        `${e.members.length} members, ${e.maxParallel} at a time: ` +
          `${e.members.slice(0, 5).join(", ")}${e.members.length > 5 ? ", …" : ""}`,
      );
    if (e.when !== undefined) notes.push(`only when ${String(e.when)}`);
    if (!e.idempotent) notes.push(`not idempotent: after a crash, resume will ${e.resume}`);
    notes.push(`on failure: ${e.onFailure}`);
    io.out(c.dim(`${pad}    ${notes.join("; ")}`));
    if (e.barrier) io.out(c.red(`${pad}    data barrier: ${e.barrier}; from here on abort needs --accept-data-loss`));
  }
  const ponr = entries.filter((e) => e.pointOfNoReturn);
  if (ponr.length) io.out(c.red(`points of no return: ${ponr.map((e) => e.id).join(", ")}`));
  const barriers = entries.filter((e) => e.barrier);
  if (barriers.length)
    io.out(c.red(`abort stops being free after: ${barriers.map((e) => `${e.id} (${e.barrier})`).join(", ")}`));
  if (dryRun) io.out(c.dim("dry run: nothing was changed and no lease was taken"));
}

function gatesHint(entries: { kind: string; id: string; action?: string }[]): string {
  const gates = entries.filter((e) => e.action === "gate.approval").map((e) => e.id);
  return gates.length ? `the playbook's gates: ${gates.join(", ")}` : "the playbook has no gate.approval step";
}
