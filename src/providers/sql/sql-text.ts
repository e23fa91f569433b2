/**
 * A small SQL scanner: splits a script into statements at top-level `;` and
 * blanks out comments and string literals, so the linter's patterns only see
 * code. It understands `--` and nested `/* *\/` comments, '…' (with ''),
 * E'…' (with backslash escapes), "…" identifiers and $tag$…$tag$ bodies.
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
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
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
    } else if (c === ";" && insideTriggerBody(code)) {
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

function insideTriggerBody(code: string): boolean {
  return /^\s*CREATE\s+(?:TEMP\w*\s+)?TRIGGER\b[\s\S]*\bBEGIN\b/i.test(code) && !/\bEND\s*$/i.test(code);
}
