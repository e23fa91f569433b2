/**
 * A terminal for renderer tests: what cutover writes to stdout and stderr is
 * replayed by a real terminal emulator (@xterm/headless), so a test asserts
 * what a person sees: the screen and the scrollback above it. Like tmux (and
 * unlike xterm), it keeps what "erase to end of screen" clears from the
 * top-left corner: tmux moves that screen into its scrollback.
 */
import xterm from "@xterm/headless";

export interface FakeTerminal {
  /** stdout as the renderer sees it: a TTY with a size, its writes going to the screen. */
  out: { isTTY: true; columns: number; rows: number; write(text: string): boolean };
  /** stderr on the same terminal. */
  err: { isTTY: true; write(chunk: unknown): boolean };
  /** What the terminal itself prints, such as the "^C" echo of Ctrl-C. */
  echo(text: string): void;
  /** Every line: what a clear from the top-left kept, the scrollback, the screen (trailing blanks trimmed). */
  lines(): Promise<string[]>;
  /** The lines of the visible screen only. */
  screen(): Promise<string[]>;
  dispose(): void;
}

export function fakeTerminal(columns: number, rows: number): FakeTerminal {
  const term = new xterm.Terminal({ cols: columns, rows, scrollback: 1000, allowProposedApi: true });
  const keptByClear: string[] = [];
  term.parser.registerCsiHandler({ final: "J" }, (params) => {
    const b = term.buffer.active;
    if ((params[0] ?? 0) === 0 && b.cursorX === 0 && b.cursorY === 0) keptByClear.push(...read(b.baseY));
    return false; // and clear as usual
  });
  // A tty's output post-processing turns "\n" into "\r\n"; the emulator does not.
  const put = (text: string) => term.write(text.replace(/\r?\n/g, "\r\n"));
  const settled = () => new Promise<void>((resolve) => term.write("", resolve));
  function read(from: number): string[] {
    const b = term.buffer.active;
    const out: string[] = [];
    for (let i = from; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? "");
    while (out.length > 0 && out.at(-1) === "") out.pop();
    return out;
  }
  return {
    out: { isTTY: true, columns, rows, write: (text) => (put(text), true) },
    err: { isTTY: true, write: (chunk) => (put(String(chunk)), true) },
    echo: put,
    lines: async () => (await settled(), [...keptByClear, ...read(0)]),
    screen: async () => (await settled(), read(term.buffer.active.baseY)),
    dispose: () => term.dispose(),
  };
}
