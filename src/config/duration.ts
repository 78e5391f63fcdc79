/**
 * Go-style durations ("500ms", "2s", "1m30s", "1.5h"), as the Helm chart and flags write them, → milliseconds.
 * Units: ns, us (µs), ms, s, m, h. A bare "0" is allowed; other numbers need a unit.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

export class DurationError extends Error {
  readonly code = "INVALID_DURATION";
  constructor(text: string) {
    super(`invalid duration "${text}": write a number with a unit, e.g. "500ms", "2s", "1m30s"`);
    this.name = "DurationError";
  }
}

export function parseDurationMs(text: string): number {
  if (text === "0") return 0;
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "") throw new DurationError(text);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const match = PART.exec(rest);
    if (!match) throw new DurationError(text);
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw new DurationError(text);
  return sign * total;
}

/** Milliseconds → the shortest Go-style text ("2s", "500ms", "1m30s"). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000 || !Number.isInteger(ms / 1000)) return `${ms}ms`;
  let seconds = ms / 1000;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ""}${minutes ? `${minutes}m` : ""}${seconds ? `${seconds}s` : ""}`;
}
