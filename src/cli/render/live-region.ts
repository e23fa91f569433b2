/**
 * The few lines at the bottom of a terminal that are redrawn in place, with
 * permanent output printed above them. A redraw can only move the cursor up
 * within the screen, so the region is clipped to the terminal's height (a
 * taller one would leave copies of its top in the scrollback) and every line
 * to its width (a wrapped line would throw the cursor arithmetic off).
 * While the region is on screen, writes to the other stream sharing the
 * terminal (stderr) are put above it instead of under it.
 */

/** What the region needs of a terminal stream (process.stdout, or a fake in tests). */
export interface Screen {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

const CSI = "\x1b[";
// SGR colour sequences pass through a cut; other control sequences never reach the region.
// eslint-disable-next-line no-control-regex -- matching the terminal's escape sequences is the point
const SGR = /^\x1b\[[0-9;]*m/;

/** `line` cut to `width` visible characters, colours kept and reset after a cut. */
function fitWidth(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length;) {
    const sgr = SGR.exec(line.slice(i));
    if (sgr) {
      out += sgr[0];
      i += sgr[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (visible === width) return out + `${CSI}0m`;
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}

/** Control characters (newlines, tabs, escapes) in text from outside turned into spaces: one line stays one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- these are the characters to remove
  return text.replace(/[\x00-\x1f\x7f]/g, " ");
}

export class LiveRegion {
  /** Lines of the region now on screen (the cursor is at the start of the line below them). */
  private height = 0;
  private lines: string[] = [];
  private restoreErr?: () => void;

  constructor(
    private readonly out: Screen,
    private readonly err?: { write: Write },
  ) {}

  /** Replace the region with `lines`, clipped to what fits on the screen. */
  update(lines: string[]): void {
    this.lines = lines;
    this.out.write(this.erase() + this.paint());
    if (this.height > 0) this.guardErr();
  }

  /** Print `text` (one or more lines) permanently above the region. */
  print(text: string): void {
    this.out.write(this.erase() + text + "\n" + this.paint());
  }

  /** Leave what is on screen as permanent output; the next update starts below it. */
  done(): void {
    this.height = 0;
    this.lines = [];
    this.restoreErr?.();
    this.restoreErr = undefined;
  }

  /**
   * Erase the cursor's line and each line of the region above it, ending at the region's first line.
   * Line by line, not "erase to end of screen": tmux moves a screen cleared from its top-left corner
   * into the scrollback, which is where a region as tall as the screen starts. Erasing whole lines
   * also takes away what the terminal put on the cursor's line (its "^C" echo of Ctrl-C).
   */
  private erase(): string {
    const up = `${CSI}1A${CSI}2K`.repeat(this.height);
    this.height = 0;
    return `\r${CSI}2K${up}`;
  }

  private paint(): string {
    const rows = this.out.rows ?? 24;
    const width = Math.max(10, (this.out.columns ?? 80) - 1);
    // One row stays free for the cursor line below the region, so painting never scrolls the region's top away.
    const room = Math.max(1, rows - 1);
    let shown = this.lines;
    if (shown.length > room) {
      const hidden = shown.length - (room - 1);
      shown = [...shown.slice(0, room - 1), `… and ${hidden} more`];
    }
    this.height = shown.length;
    return shown.map((l) => fitWidth(l, width) + "\n").join("");
  }

  /** Writes to stderr while the region is shown would land inside it: erase, write, repaint. */
  private guardErr(): void {
    const err = this.err;
    if (!err || this.restoreErr) return;
    const original = err.write;
    err.write = (chunk: unknown, ...rest: unknown[]): boolean => {
      this.out.write(this.erase());
      const result = original.call(err, chunk, ...rest);
      // A partial line (a question, a progress dot) is left as it is; the region resumes on the next line.
      this.out.write((String(chunk).endsWith("\n") ? "" : "\n") + this.paint());
      return result;
    };
    this.restoreErr = () => {
      err.write = original;
    };
  }
}
