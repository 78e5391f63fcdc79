/** The state file round-trips across instances (agent restarts) and identities are allocated stably. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { allocateIdentity, LimitRecords, type LimitRecord } from "./limit-records.js";

const record = (podKey: string, direction: "egress" | "ingress", identity: number): LimitRecord => ({
  podKey,
  direction,
  identity,
  podNetnsPath: "/var/run/netns/x",
  netnsPath: direction === "egress" ? "/var/run/netns/x" : null,
  interfaceName: "eth0",
  replacedQdisc: { kind: "tbf", handle: 0x10000, optionsHex: "0800" },
  createdClsact: true,
  programId: 7,
});

describe("limit records", () => {
  it("persist across instances and are replaced per (pod, direction)", () => {
    const stateDir = mkdtempSync(join(tmpdir(), "pd-records-"));
    try {
      const first = new LimitRecords(stateDir);
      first.put(record("ns/a/1", "egress", 1));
      first.put(record("ns/a/1", "ingress", 1));
      first.put({ ...record("ns/a/1", "egress", 1), programId: 9 });
      const second = new LimitRecords(stateDir);
      assert.equal(second.all().length, 2);
      assert.equal(second.find("ns/a/1", "egress")?.programId, 9);
      assert.deepEqual(second.find("ns/a/1", "ingress")?.replacedQdisc, { kind: "tbf", handle: 0x10000, optionsHex: "0800" });
      second.remove("ns/a/1", "egress");
      assert.equal(new LimitRecords(stateDir).all().length, 1);
      assert.equal(JSON.parse(readFileSync(join(stateDir, "edt-limits.json"), "utf8")).version, 1);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("allocates the Pod's existing identity, else the smallest free one", () => {
    const records = [record("ns/a/1", "egress", 1), record("ns/b/2", "egress", 3)];
    assert.equal(allocateIdentity(records, "ns/a/1", 10), 1);
    assert.equal(allocateIdentity(records, "ns/c/3", 10), 2);
    assert.equal(allocateIdentity([...records, record("ns/c/3", "ingress", 2)], "ns/d/4", 10), 4);
    assert.throws(() => allocateIdentity(records, "ns/e/5", 1), RangeError);
  });
});
