/** withBbr's bookkeeping (no kernel): once per Pod, and a failed write is not retried on every pass. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeDatapath } from "../datapath/testing/fake.js";
import type { LimitSpec } from "../datapath/datapath.js";
import { BBR_RETRY_AFTER_MS, withBbr } from "./bbr.js";

const spec: LimitSpec = {
  attachment: { podKey: "default/a/uid-a", netnsPath: "/var/run/netns/a", podInterface: "eth0", hostInterface: "veth-a" },
  direction: "egress",
  bitsPerSecond: 10_000_000,
};

describe("withBbr", () => {
  it("writes once per Pod, again after the Pod's limit was removed and re-applied", async () => {
    const writes: string[] = [];
    const datapath = withBbr(new FakeDatapath(), () => {}, async (netns) => void writes.push(netns));
    await datapath.ensureLimit(spec);
    await datapath.ensureLimit(spec);
    assert.deepEqual(writes, ["/var/run/netns/a"]);
    await datapath.removeLimit(spec.attachment.podKey, "egress");
    await datapath.ensureLimit(spec);
    assert.equal(writes.length, 2);
  });

  it("after a failed write, waits before trying the Pod again; the limit itself is enforced meanwhile", async () => {
    let clock = 0;
    let attempts = 0;
    const logs: string[] = [];
    const failing = async () => {
      attempts++;
      throw new Error("No such file or directory");
    };
    const datapath = withBbr(new FakeDatapath(), (line) => logs.push(line), failing, () => clock);
    await datapath.ensureLimit(spec);
    await datapath.ensureLimit(spec);
    clock += BBR_RETRY_AFTER_MS - 1;
    await datapath.ensureLimit(spec);
    assert.equal(attempts, 1, "no retry on every pass");
    clock += 1;
    await datapath.ensureLimit(spec);
    assert.equal(attempts, 2, "retried once the wait is over");
    assert.match(logs[0] ?? "", /load tcp_bbr\?.*tried again in 5 min/);
    assert.equal((await datapath.listLimits()).length, 1);
  });
});
