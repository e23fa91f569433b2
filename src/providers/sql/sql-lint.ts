/**
 * Risky-statement detection for `plan` and dry runs: table rewrites, heavy
 * locks, breaking changes in an expand script, whole-table updates. The
 * patterns look at code only (comments and literals blanked by sql-text.ts)
 * and err on the side of warning: a plan line too many is cheap, a missed
 * ACCESS EXCLUSIVE lock on a hot table is an outage.
 */
import type { Phase } from "./scripts.js";
import type { ScannedStatement } from "./sql-text.js";

type RiskKind = "rewrite" | "heavy-lock" | "breaking" | "destructive" | "long-transaction" | "may-fail";

export interface Risk {
  kind: RiskKind;
  /** 1-based statement number within the script. */
  statement: number;
  message: string;
}

const VOLATILE_DEFAULT =
  /\bDEFAULT\b[^,]*\b(clock_timestamp|random|gen_random_uuid|uuid_generate_v[14]|nextval|timeofday)\s*\(/i;

interface Rule {
  kind: RiskKind;
  test: (code: string, phase: Phase) => boolean;
  message: string;
}

const RULES: Rule[] = [
  {
    kind: "rewrite",
    test: (c) =>
      /\bALTER\s+TABLE\b/i.test(c) && /\bALTER\s+(COLUMN\s+)?("[^"]+"|\w+)\s+(SET\s+DATA\s+)?TYPE\b/i.test(c),
    message: "ALTER COLUMN ... TYPE usually rewrites the table under an ACCESS EXCLUSIVE lock (reads and writes wait)",
  },
  {
    kind: "rewrite",
    test: (c) => /\bADD\s+(COLUMN\b)?/i.test(c) && /\bALTER\s+TABLE\b/i.test(c) && VOLATILE_DEFAULT.test(c),
    message:
      "ADD COLUMN with a volatile DEFAULT rewrites the whole table under an ACCESS EXCLUSIVE lock; add the " +
      "column without default and backfill it (migrate.backfill)",
  },
  {
    kind: "may-fail",
    test: (c) =>
      /\bALTER\s+TABLE\b[\s\S]*\bADD\s+(COLUMN\s+)?[\s\S]*\bNOT\s+NULL\b/i.test(c) &&
      !/\bDEFAULT\b/i.test(c) &&
      !/\bADD\s+CONSTRAINT\b/i.test(c),
    message: "ADD COLUMN ... NOT NULL without DEFAULT fails on a table that has rows",
  },
  {
    kind: "heavy-lock",
    test: (c) => /\bCREATE\s+(UNIQUE\s+)?INDEX\b/i.test(c) && !/\bCONCURRENTLY\b/i.test(c),
    message:
      "CREATE INDEX without CONCURRENTLY holds a SHARE lock that blocks every write to the table for the whole build",
  },
  {
    kind: "heavy-lock",
    test: (c) => /\bLOCK\s+(TABLE\s+)?("[^"]+"|\w+)/i.test(c) && /^\s*LOCK\b/i.test(c),
    message: "explicit LOCK TABLE: traffic on the table waits until the transaction ends",
  },
  {
    kind: "rewrite",
    test: (c) => /^\s*(VACUUM\s+(\(\s*)?FULL|CLUSTER)\b/i.test(c),
    message: "VACUUM FULL / CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock",
  },
  {
    kind: "heavy-lock",
    test: (c) => /\bADD\s+CONSTRAINT\b[\s\S]*\b(FOREIGN\s+KEY|CHECK)\b/i.test(c) && !/\bNOT\s+VALID\b/i.test(c),
    message:
      "ADD CONSTRAINT (FOREIGN KEY/CHECK) scans every row under lock; add it NOT VALID, then VALIDATE CONSTRAINT " +
      "in a later script",
  },
  {
    kind: "heavy-lock",
    test: (c) => /\bALTER\s+(COLUMN\s+)?("[^"]+"|\w+)\s+SET\s+NOT\s+NULL\b/i.test(c),
    message:
      "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock (PostgreSQL ≥12 skips the scan if a " +
      "validated CHECK (col IS NOT NULL) exists)",
  },
  {
    kind: "long-transaction",
    test: (c) => /^\s*(UPDATE|DELETE\s+FROM)\b/i.test(c) && !/\bWHERE\b/i.test(c),
    message:
      "UPDATE/DELETE of the whole table in one transaction locks every row until commit; use migrate.backfill " +
      "for batches",
  },
  {
    kind: "destructive",
    test: (c) => /^\s*(DROP\s+(TABLE|SCHEMA)|TRUNCATE)\b/i.test(c) || /\bDROP\s+COLUMN\b/i.test(c),
    message: "drops data: irreversible",
  },
  {
    kind: "breaking",
    test: (c, phase) =>
      phase === "expand" &&
      (/\bDROP\s+(TABLE|COLUMN|VIEW)\b/i.test(c) || /\bRENAME\b/i.test(c) || /\bSET\s+NOT\s+NULL\b/i.test(c)),
    message:
      "breaking change in an expand script: the previous app version may still use this; move it to a contract script",
  },
];

export function lintStatements(statements: ScannedStatement[], phase: Phase): Risk[] {
  const risks: Risk[] = [];
  statements.forEach((s, idx) => {
    for (const rule of RULES) {
      if (rule.test(s.code, phase)) risks.push({ kind: rule.kind, statement: idx + 1, message: rule.message });
    }
  });
  return risks;
}

/** Statements PostgreSQL refuses inside a transaction block: they need `-- cutover:no-transaction`. */
export function needsNoTransaction(code: string): boolean {
  return (
    /\b(CONCURRENTLY)\b/i.test(code) ||
    /^\s*(VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE|CREATE\s+TABLESPACE|ALTER\s+SYSTEM|REINDEX\s+DATABASE|REINDEX\s+SYSTEM)\b/i.test(
      code,
    )
  );
}

/** `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name` → name (schema-qualified if written so). */
export function concurrentIndexName(code: string): string | undefined {
  const m =
    /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)\s+ON\b/i.exec(
      code,
    );
  return m?.[1];
}
