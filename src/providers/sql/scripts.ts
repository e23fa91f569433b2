/**
 * The script folder: `NNNN_name.<phase>.sql` (or `NNNN Table [tags].<phase>.sql`) files ordered by the number's
 * numeric value (never by name: `10_` after `9_`), plus compatibility checks
 * in `checks/*.sql`. Loading validates everything and reports every problem
 * at once: duplicate or missing numbers, unknown phases, unknown
 * `-- cutover:` directives (a typo must never silently change behaviour),
 * non-transactional scripts with more than one statement, and statements
 * PostgreSQL refuses inside a transaction in transactional scripts.
 *
 * A script may have an undo script next to it, `NNNN_name.<phase>.undo.sql`
 * (what a reversible `migrate.run` runs on abort). It is paired by exact
 * name and obeys the same rules; an undo file without its script is a folder
 * problem like the others (a renamed script must not silently lose its undo).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { lintStatements, needsNoTransaction, type Risk } from "./sql-lint.js";
import { splitStatements, type ScannedStatement } from "./sql-text.js";

export const PHASES = ["expand", "migrate", "contract"] as const;
export type Phase = (typeof PHASES)[number];

/** One SQL file as loaded: a script or its undo script. */
export interface ScriptBody {
  /** File name, e.g. `0002_add_email.expand.sql` or `0002_add_email.expand.undo.sql`. */
  name: string;
  file: string;
  /** False when the file starts with `-- cutover:no-transaction`. */
  transactional: boolean;
  /** The file's text as read (what is executed). */
  text: string;
  /** `v1:sha256:<hex>` of the normalised text. */
  checksum: string;
  statements: ScannedStatement[];
  risks: Risk[];
}

export interface MigrationScript extends ScriptBody {
  seq: number;
  phase: Phase;
  /** The companion `NNNN_name.<phase>.undo.sql`, when the folder has one. */
  undo?: ScriptBody;
}

export interface CompatCheck {
  /** Stable code, e.g. `E_DUPLICATE_EMAIL`; what `acknowledge:` names. */
  code: string;
  /** What the operator should change, shown with the offending rows. */
  message: string;
  /** A read-only query returning the offending rows (none = pass). */
  sql: string;
  /** The check's file, when it came from `checks/`. */
  file?: string;
}

export interface ScriptFolder {
  dir: string;
  scripts: MigrationScript[];
  checks: CompatCheck[];
}

/**
 * `NNNN_description`, or Ed-Fi's `NNNN TableName [tags]` (a space after the number, spaces and square
 * brackets in the description: the table a failed script was upgrading and what it changed show in the
 * file name, which the seed relies on for troubleshooting). No dots in the description, so the phase
 * suffix stays unambiguous; no trailing space. The journal keeps the file name as it is: names that were
 * valid before read the same.
 */
const DESCRIPTION = String.raw`[A-Za-z0-9\[](?:[A-Za-z0-9_ \[\]-]*[A-Za-z0-9_\]])?`;
const SCRIPT_NAME = new RegExp(String.raw`^(\d+)[_ ](${DESCRIPTION})\.(expand|migrate|contract)\.sql$`);
const UNDO_NAME = new RegExp(String.raw`^(\d+)[_ ](${DESCRIPTION})\.(expand|migrate|contract)\.undo\.sql$`);

/** The undo script's file name for a script's: `0002_x.expand.sql` → `0002_x.expand.undo.sql`. */
export function undoNameOf(scriptName: string): string {
  return scriptName.replace(/\.sql$/, ".undo.sql");
}
const DIRECTIVE = /^--\s*cutover:([a-z-]+)\s*(.*)$/;
const CODE = /^[A-Z][A-Z0-9_]*$/;

/**
 * Normalise transport noise only: a UTF-8 BOM, CRLF/CR line endings and
 * trailing whitespace at the end of the file. A checksum must not change
 * because a file was checked out on Windows; it must change for any edit.
 */
function normaliseScript(text: string): string {
  return text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\s+$/, "");
}

export function scriptChecksum(text: string): string {
  return "v1:sha256:" + createHash("sha256").update(normaliseScript(text), "utf8").digest("hex");
}

/** `-- cutover:x value` lines at the top of the file (before the first non-comment line). */
function readDirectives(text: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const raw of normaliseScript(text).split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (!line.startsWith("--")) break;
    const m = DIRECTIVE.exec(line);
    if (m) out.push({ name: m[1] as string, value: (m[2] as string).trim() });
  }
  return out;
}

export function loadScriptFolder(dir: string): ScriptFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CutoverError(ErrorCode.Config, `migration folder not found: ${dir}`, {
      hint: "`dir` is relative to the playbook's directory",
    });
  }
  const problems: string[] = [];
  const scripts: MigrationScript[] = [];
  const undos: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".sql")) continue;
    if (UNDO_NAME.test(name)) {
      undos.push(name);
      continue;
    }
    const m = SCRIPT_NAME.exec(name);
    if (!m) {
      problems.push(
        `${name}: not a migration script name; expected NNNN_description.<expand|migrate|contract>.sql or ` +
          `'NNNN Table [tags].<phase>.sql' (and .<phase>.undo.sql for a script's undo)`,
      );
      continue;
    }
    const phase = m[3] as Phase;
    scripts.push({ seq: Number(m[1]), phase, ...readBody(dir, name, phase, problems) });
  }
  scripts.sort((a, b) => a.seq - b.seq);
  for (let i = 0; i < scripts.length; i++) {
    const s = scripts[i] as MigrationScript;
    const prev = scripts[i - 1];
    if (prev && prev.seq === s.seq) problems.push(`${s.name}: number ${s.seq} is also used by ${prev.name}`);
    else if (prev && s.seq !== prev.seq + 1)
      problems.push(
        `${s.name}: numbers jump from ${prev.seq} to ${s.seq}; missing ` +
          `${prev.seq + 1}${s.seq - prev.seq > 2 ? `..${s.seq - 1}` : ""}`,
      );
  }
  for (const name of undos) pairUndo(dir, name, scripts, problems);
  const checks = loadChecks(path.join(dir, "checks"), problems);
  if (problems.length > 0) {
    throw new CutoverError(
      ErrorCode.Config,
      `${problems.length} problem${problems.length === 1 ? "" : "s"} in migration folder ${dir}:\n` +
        problems.map((p) => "  " + p).join("\n"),
      {
        details: { problems },
      },
    );
  }
  return { dir, scripts, checks };
}

/** Attach undo file `name` to its script, or report it: an orphaned undo is a renamed or deleted script's leftover. */
function pairUndo(dir: string, name: string, scripts: MigrationScript[], problems: string[]): void {
  const scriptName = name.replace(/\.undo\.sql$/, ".sql");
  const script = scripts.find((s) => s.name === scriptName);
  if (!script) {
    const seq = Number(UNDO_NAME.exec(name)?.[1]);
    const same = scripts.find((s) => s.seq === seq);
    problems.push(
      `${name}: undo script without its script ${scriptName}${same ? ` (number ${seq} is ${same.name})` : ""}; ` +
        `name it after the script it takes back ` +
        `(${same ? undoNameOf(same.name) : "NNNN_name.<phase>.undo.sql next to NNNN_name.<phase>.sql"}), ` +
        `or delete it`,
    );
    return;
  }
  // An undo takes back what its script added, so drops are its
  // nature: lint it like a contract (no "breaking in an expand").
  script.undo = readBody(dir, name, "contract", problems);
}

/** Read one SQL file and check the rules every script and undo script obeys. */
function readBody(dir: string, name: string, lintPhase: Phase, problems: string[]): ScriptBody {
  const file = path.join(dir, name);
  const text = readFileSync(file, "utf8");
  let transactional = true;
  for (const d of readDirectives(text)) {
    if (d.name === "no-transaction" && d.value === "") transactional = false;
    else
      problems.push(
        `${name}: unknown directive '-- cutover:${d.name}${d.value ? " " + d.value : ""}' (known: no-transaction)`,
      );
  }
  const statements = splitStatements(normaliseScript(text));
  if (statements.length === 0) problems.push(`${name}: no SQL statement`);
  if (!transactional && statements.length !== 1) {
    problems.push(
      `${name}: a no-transaction script must hold exactly one statement (found ${statements.length}); split it ` +
        `into several scripts`,
    );
  }
  statements.forEach((s, i) => {
    // cutover owns the transaction (script + journal row commit together): a script must not end it.
    if (
      /^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END|SAVEPOINT|RELEASE)\b/i.test(s.code) &&
      !/^\s*BEGIN\s+ATOMIC\b/i.test(s.code)
    ) {
      problems.push(
        `${name}: statement ${i + 1} controls the transaction; remove it: cutover runs each script in its own ` +
          `transaction (or none, with -- cutover:no-transaction)`,
      );
    }
  });
  if (transactional) {
    statements.forEach((s, i) => {
      if (needsNoTransaction(s.code)) {
        problems.push(
          `${name}: statement ${i + 1} cannot run inside a transaction; put it alone in a script starting with ` +
            `'-- cutover:no-transaction'`,
        );
      }
    });
  }
  return {
    name,
    file,
    transactional,
    text,
    checksum: scriptChecksum(text),
    statements,
    risks: lintStatements(statements, lintPhase),
  };
}

function loadChecks(dir: string, problems: string[]): CompatCheck[] {
  if (!existsSync(dir)) return [];
  const checks: CompatCheck[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".sql")) continue;
    const file = path.join(dir, name);
    const text = readFileSync(file, "utf8");
    let code: string | undefined;
    const message: string[] = [];
    for (const d of readDirectives(text)) {
      if (d.name === "check") code = d.value;
      else if (d.name === "message") message.push(d.value);
      else problems.push(`checks/${name}: unknown directive '-- cutover:${d.name}' (known: check, message)`);
    }
    if (!code || !CODE.test(code)) {
      problems.push(
        `checks/${name}: needs a '-- cutover:check CODE' line with an upper-case code such as E_NULL_EMAIL`,
      );
      continue;
    }
    if (message.length === 0) problems.push(`checks/${name}: needs a '-- cutover:message <what to change>' line`);
    if (splitStatements(normaliseScript(text)).length !== 1)
      problems.push(`checks/${name}: a check is exactly one SELECT`);
    checks.push({ code, message: message.join(" "), sql: normaliseScript(text).replace(/;\s*$/, ""), file });
  }
  return checks;
}
