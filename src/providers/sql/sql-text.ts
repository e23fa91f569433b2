/**
 * A small SQL scanner: splits a script into statements at top-level `;` and
 * blanks out comments and string literals, so the linter's patterns only see
 * code. It understands `--` and nested `/* *\/` comments, '…' (with ''),
 * E'…' (with backslash escapes), "…" identifiers and $tag$…$tag$ bodies.
 *
 * Where a `;` ends a statement follows psql's own lexer (src/fe_utils/psqlscan.l),
 * since psql is what people check their scripts with: dollar-quote tags are
 * `$$` or `$name$` with digits after the first character (`$fn1$`); a `;`
 * inside parentheses does not end a statement (CREATE RULE … DO (…; …)); nor
 * does one inside the `BEGIN ATOMIC … END` body of CREATE [OR REPLACE]
 * FUNCTION|PROCEDURE, where psql counts BEGIN, CASE and END outside
 * parentheses. Why not a library: dbgate-query-splitter splits BEGIN ATOMIC
 * bodies at their first `;`, and libpg-query (the real parser, as WASM) is
 * asynchronous, PostgreSQL-only (scripts also run on SQLite, whose trigger
 * bodies are handled below) and does not give the blanked text the linter needs.
 */

export interface ScannedStatement {
  /** The statement as written (trimmed, without the final `;`). */
  text: string;
  /** Same text with comments and literals replaced by spaces (identifiers kept). */
  code: string;
}

export function splitStatements(sql: string): ScannedStatement[] {
  const out: ScannedStatement[] = [];
  let text = "";
  let code = "";
  let i = 0;
  const n = sql.length;
  const push = () => {
    if (code.trim() !== "") out.push({ text: text.trim(), code: code.trim() });
    text = "";
    code = "";
  };
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      text += sql.slice(i, stop);
      code += " ";
      i = stop;
    } else if (c === "/" && next === "*") {
      let depth = 0;
      let j = i;
      while (j < n) {
        if (sql[j] === "/" && sql[j + 1] === "*") {
          depth++;
          j += 2;
        } else if (sql[j] === "*" && sql[j + 1] === "/") {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      text += sql.slice(i, j);
      code += " ";
      i = j;
    } else if (c === "'" || ((c === "E" || c === "e") && next === "'" && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ""))) {
      const escapes = c !== "'";
      let j = escapes ? i + 2 : i + 1;
      while (j < n) {
        if (escapes && sql[j] === "\\") j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      text += sql.slice(i, j + 1);
      code += "''";
      i = j + 1;
    } else if (c === '"') {
      const j = sql.indexOf('"', i + 1);
      const stop = j === -1 ? n : j + 1;
      text += sql.slice(i, stop);
      code += sql.slice(i, stop);
      i = stop;
    } else if (c === "$" && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? "")) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? n : end + tag[0].length;
        text += sql.slice(i, stop);
        code += "''";
        i = stop;
      } else {
        text += c;
        code += c;
        i++;
      }
    } else if (c === ";" && (insideTriggerBody(code) || insideParensOrAtomicBody(code))) {
      // SQLite trigger bodies are BEGIN stmt; stmt; END: their semicolons do not end the statement.
      text += c;
      code += c;
      i++;
    } else if (c === ";") {
      push();
      i++;
    } else {
      text += c;
      code += c;
      i++;
    }
  }
  push();
  return out;
}

/** psql's dolqdelim: `$$` or `$tag$`, a tag being a letter or `_` (or any non-ASCII) then letters, digits, `_`. */
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** psql's test (psqlscan.l): statement code so far has open parentheses, or an unfinished BEGIN … END function body. */
function insideParensOrAtomicBody(code: string): boolean {
  let parens = 0;
  let begins = 0;
  const words: string[] = [];
  const tokens = code.replace(/"(?:[^"]|"")*"/g, " x ").matchAll(/[()]|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/g);
  for (const [token] of tokens) {
    if (token === "(") parens++;
    else if (token === ")") parens = Math.max(0, parens - 1);
    else {
      words.push(token.toLowerCase());
      if (parens > 0 || !isCreateRoutine(words)) continue;
      const w = words[words.length - 1];
      if (w === "begin") begins++;
      else if (w === "case" && begins > 0)
        begins++; // CASE also ends with END
      else if (w === "end" && begins > 0) begins--;
    }
  }
  return parens > 0 || begins > 0;
}

/** The statement starts CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
function isCreateRoutine(words: string[]): boolean {
  const [a, b, c, d] = words;
  if (a !== "create") return false;
  const routine = (w: string | undefined) => w === "function" || w === "procedure";
  return routine(b) || (b === "or" && c === "replace" && routine(d));
}

function insideTriggerBody(code: string): boolean {
  return /^\s*CREATE\s+(?:TEMP\w*\s+)?TRIGGER\b[\s\S]*\bBEGIN\b/i.test(code) && !/\bEND\s*$/i.test(code);
}
