/**
 * What the demo's guest side (guest-main.ts) tells the host: one `@@pacer-demo {json}` line per progress
 * event on its console, and its measurements in a file of the exchange directory.
 */
import type { DemoEvent } from "./experiment.js";

export const GUEST_EVENT_MARKER = "@@pacer-demo ";
export const GUEST_RESULT_FILE = "demo-result.json";

/** Parses one guest output line into an event, or null for any other line (pure). */
export function parseGuestEvent(line: string): DemoEvent | null {
  if (!line.startsWith(GUEST_EVENT_MARKER)) return null;
  try {
    return JSON.parse(line.slice(GUEST_EVENT_MARKER.length)) as DemoEvent;
  } catch {
    return null;
  }
}
