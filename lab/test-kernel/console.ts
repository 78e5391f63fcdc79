/**
 * Splits the guest console into the boot log, the command's output and its exit code (pure).
 *
 * The UML console is a tty: the guest's "\n" arrives as "\r\n" (ONLCR), so carriage returns before a
 * newline are dropped. Output is passed on a whole line at a time so a marker is never split.
 */
export interface ConsoleSplitterHandlers {
  onReady(): void;
  onOutput(text: string): void;
  onExit(code: number): void;
}

export class ConsoleSplitter {
  bootLog = "";
  output = "";
  private pending = "";
  private phase: "boot" | "command" | "done" = "boot";

  constructor(
    private readonly readyMarker: string,
    private readonly exitMarker: string,
    private readonly handlers: ConsoleSplitterHandlers,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      this.line(this.pending.slice(0, newline).replace(/\r+$/, ""));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf("\n");
    }
  }

  /** The console closed: whatever is left is a last line without a newline. */
  end(): void {
    if (this.pending !== "") this.line(this.pending.replace(/\r+$/, ""));
    this.pending = "";
  }

  private line(text: string): void {
    if (this.phase === "boot") {
      if (text.startsWith(this.readyMarker)) {
        this.phase = "command";
        this.handlers.onReady();
      } else {
        this.bootLog += `${text}\n`;
      }
    } else if (this.phase === "command") {
      if (text.startsWith(this.exitMarker)) {
        this.phase = "done";
        this.handlers.onExit(Number.parseInt(text.slice(this.exitMarker.length), 10));
      } else {
        this.output += `${text}\n`;
        this.handlers.onOutput(`${text}\n`);
      }
    } else {
      this.bootLog += `${text}\n`;
    }
  }
}

// The first line of a kernel's report of what went wrong (panic, oops, BUG, WARN, lockup, RCU stall).
const KERNEL_TROUBLE = /Kernel panic|\bBUG:|\bOops\b|\bWARNING:|cut here|soft lockup|hard LOCKUP|rcu_\w+ detected stalls|not syncing/;

/**
 * What to show of a console when a guest dies: the kernel's first report of trouble (its first lines,
 * which the tail alone cuts off when a long backtrace follows) and the last `lines` lines.
 */
export function consoleExcerpt(text: string, lines = 40): string {
  const all = text.split("\n");
  const last = all.slice(-lines);
  const first = all.findIndex((line) => KERNEL_TROUBLE.test(line));
  if (first === -1 || first >= all.length - lines) return last.join("\n");
  const start = Math.max(0, first - 3);
  const head = all.slice(start, Math.min(start + 15, all.length - lines));
  return [...head, "[…]", ...last].join("\n");
}
