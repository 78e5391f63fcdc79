/** The manager's one state: where it starts, and that a node reason never overrides the configuration. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DISABLED_BY_CONFIGURATION, ManagerSwitch } from "./manager-state.js";

describe("ManagerSwitch", () => {
  it("starts from the configuration, then the kernel probe", () => {
    assert.deepEqual(ManagerSwitch.atStart(false, { available: true, reason: null }).state, { enabled: false, reason: DISABLED_BY_CONFIGURATION, byConfiguration: true });
    assert.deepEqual(ManagerSwitch.atStart(true, { available: true, reason: null }).state, { enabled: true });
    const noFq = ManagerSwitch.atStart(true, { available: false, reason: "fq qdisc missing" });
    assert.deepEqual(noFq.state, { enabled: false, reason: "fq qdisc missing", byConfiguration: false });
    assert.equal(noFq.disabledByNode, true);
    assert.equal(noFq.disabledReason, "fq qdisc missing");
  });

  it("a node reason replaces another node reason or turns it off, never a configured off", () => {
    const on = ManagerSwitch.atStart(true, { available: true, reason: null });
    on.disableForNode("open the EDT datapath: EPERM");
    assert.equal(on.disabledReason, "open the EDT datapath: EPERM");
    on.enable();
    assert.equal(on.enabled, true);
    assert.equal(on.disabledReason, null);
    const configured = ManagerSwitch.atStart(false, { available: true, reason: null });
    configured.disableForNode("open the EDT datapath: EPERM");
    assert.equal(configured.disabledReason, DISABLED_BY_CONFIGURATION);
    assert.equal(configured.disabledByNode, false);
  });
});
