/**
 * Echoing a user's value in a message: never in full when it is long. A
 * 100 KB value quoted back would bury the message (and flood CI logs), so
 * values are cut to their first MAX_ECHO characters, saying how much is left.
 */

/** How many characters of a value a message repeats. */
const MAX_ECHO = 200;

/** `text` itself, or its first `max` characters and "… (N more characters)". */
export function cut(text: string, max = MAX_ECHO): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A value as a message quotes it: JSON-quoted, cut. */
export function quote(value: unknown): string {
  const s = typeof value === "string" ? value : String(value);
  return s.length <= MAX_ECHO
    ? JSON.stringify(s)
    : `${JSON.stringify(s.slice(0, MAX_ECHO)).slice(0, -1)}…" (${s.length - MAX_ECHO} more characters)`;
}

/**
 * The last line of defence, for messages built elsewhere: every line longer
 * than MAX_LINE keeps its first MAX_ECHO characters of each overlong run of
 * non-space characters (a quoted value), so the words around it stay.
 */
const MAX_LINE = 1000;
export function cutLongValues(message: string): string {
  return message
    .split("\n")
    .map((line) => {
      if (line.length <= MAX_LINE) return line;
      const shorter = line.replace(new RegExp(`\\S{${MAX_ECHO + 1},}`, "g"), (run) => cut(run));
      return shorter.length <= MAX_LINE ? shorter : cut(shorter, MAX_LINE);
    })
    .join("\n");
}
