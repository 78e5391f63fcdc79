/** The guest's progress protocol: `@@pacer-demo {json}` lines are events, anything else is not. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GUEST_EVENT_MARKER, parseGuestEvent } from "./guest-events.js";

describe("parseGuestEvent", () => {
  it("reads step and log events and ignores other lines", () => {
    assert.deepEqual(parseGuestEvent(`${GUEST_EVENT_MARKER}{"type":"step","id":"limited"}`), { type: "step", id: "limited" });
    assert.deepEqual(parseGuestEvent(`${GUEST_EVENT_MARKER}{"type":"log","text":"x"}`), { type: "log", text: "x" });
    assert.equal(parseGuestEvent("pacer-lab: module ifb not loaded"), null);
    assert.equal(parseGuestEvent(`${GUEST_EVENT_MARKER}{broken`), null);
  });
});
