/**
 * One conformance suite for every Datapath implementation (fake and EDT). A harness supplies places to
 * attach to and a way to tamper and restart; the suite asserts the contract in datapath.ts.
 * Used from fake.test.ts and from the EDT datapath's tests (host kernel and test kernel).
 */
import assert from "node:assert/strict";
import { describe, it, before, after } from "node:test";
import type { Datapath, Direction, PodAttachment, RepairedPiece } from "../datapath.js";

export interface ConformanceHarness {
  /** A fresh datapath over the same kernel state (a second call simulates an agent restart). */
  openDatapath(): Promise<Datapath>;
  /** A new Pod-like place to shape (namespace + interfaces), removed by cleanup(). */
  newAttachment(name: string): Promise<PodAttachment>;
  /** Remove a piece the datapath installed, as a Pod with CAP_NET_ADMIN could. */
  tamper(attachment: PodAttachment, direction: Direction, piece: RepairedPiece): Promise<void>;
  /** Undo everything the harness created. Called even when a test fails. */
  cleanup(): Promise<void>;
}

export interface ConformanceOptions {
  /** When set, the whole suite is skipped with this reason (e.g. "fq qdisc missing on this kernel"). */
  skip?: string | undefined;
  /** Directions this implementation supports. */
  directions?: Direction[];
}

export function datapathConformance(
  name: string,
  makeHarness: () => Promise<ConformanceHarness>,
  options: ConformanceOptions = {},
): void {
  const directions = options.directions ?? ["egress", "ingress"];
  describe(`Datapath conformance: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: ConformanceHarness;
    let datapath: Datapath;
    before(async () => {
      harness = await makeHarness();
      datapath = await harness.openDatapath();
    });
    after(async () => {
      await datapath?.close();
      await harness?.cleanup();
    });

    for (const direction of directions) {
      it(`${direction}: applies a limit and lists it`, async () => {
        const attachment = await harness.newAttachment(`apply-${direction}`);
        const result = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 10_000_000 });
        assert.ok(result.identity > 0, "identity is a positive number");
        assert.deepEqual(result.repaired, []);
        const listed = (await datapath.listLimits()).filter((l) => l.podKey === attachment.podKey);
        assert.equal(listed.length, 1);
        assert.equal(listed[0]?.bitsPerSecond, 10_000_000);
        assert.equal(listed[0]?.direction, direction);
        assert.equal(listed[0]?.identity, result.identity);
        await datapath.removeLimit(attachment.podKey, direction);
      });

      it(`${direction}: ensure is idempotent and updates the rate in place`, async () => {
        const attachment = await harness.newAttachment(`idem-${direction}`);
        const first = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 10_000_000 });
        const again = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 10_000_000 });
        assert.equal(again.identity, first.identity, "same identity on re-apply");
        assert.deepEqual(again.repaired, []);
        const edited = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 50_000_000 });
        assert.equal(edited.identity, first.identity, "an edit keeps the identity");
        const listed = (await datapath.listLimits()).filter((l) => l.podKey === attachment.podKey);
        assert.deepEqual(
          listed.map((l) => l.bitsPerSecond),
          [50_000_000],
        );
        await datapath.removeLimit(attachment.podKey, direction);
      });

      it(`${direction}: remove is idempotent and leaves nothing listed`, async () => {
        const attachment = await harness.newAttachment(`remove-${direction}`);
        await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 1_000_000 });
        await datapath.removeLimit(attachment.podKey, direction);
        await datapath.removeLimit(attachment.podKey, direction);
        const listed = (await datapath.listLimits()).filter((l) => l.podKey === attachment.podKey);
        assert.deepEqual(listed, []);
      });

      for (const piece of ["qdisc", "program"] as const) {
        it(`${direction}: repairs a removed ${piece} and says so`, async () => {
          const attachment = await harness.newAttachment(`tamper-${piece}-${direction}`);
          const first = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 10_000_000 });
          await harness.tamper(attachment, direction, piece);
          const repaired = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 10_000_000 });
          assert.ok(repaired.repaired.includes(piece), `repaired lists ${piece}: ${repaired.repaired.join(",")}`);
          assert.equal(repaired.identity, first.identity);
          const clean = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 10_000_000 });
          assert.deepEqual(clean.repaired, [], "nothing to repair the second time");
          await datapath.removeLimit(attachment.podKey, direction);
        });
      }
    }

    it("limits survive a restart of the datapath (adoption) with the same identity", async () => {
      const attachment = await harness.newAttachment("restart");
      const direction = directions[0] ?? "egress";
      const first = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 20_000_000 });
      await datapath.close();
      datapath = await harness.openDatapath();
      const listed = (await datapath.listLimits()).filter((l) => l.podKey === attachment.podKey);
      assert.equal(listed.length, 1, "the limit is still enforced after restart");
      assert.equal(listed[0]?.bitsPerSecond, 20_000_000);
      assert.equal(listed[0]?.identity, first.identity);
      const again = await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 20_000_000 });
      assert.equal(again.identity, first.identity);
      await datapath.removeLimit(attachment.podKey, direction);
    });

    it("identities are distinct across Pods", async () => {
      const a = await harness.newAttachment("distinct-a");
      const b = await harness.newAttachment("distinct-b");
      const direction = directions[0] ?? "egress";
      const ra = await datapath.ensureLimit({ attachment: a, direction, bitsPerSecond: 5_000_000 });
      const rb = await datapath.ensureLimit({ attachment: b, direction, bitsPerSecond: 5_000_000 });
      assert.notEqual(ra.identity, rb.identity);
      await datapath.removeLimit(a.podKey, direction);
      await datapath.removeLimit(b.podKey, direction);
    });

    it("rejects limits outside 1k..1P with INVALID_ARGUMENT", async () => {
      const attachment = await harness.newAttachment("invalid");
      for (const bitsPerSecond of [0, 999, 1e15 + 1, 1500.5, Number.NaN]) {
        await assert.rejects(
          datapath.ensureLimit({ attachment, direction: "egress", bitsPerSecond }),
          (error: unknown) => (error as { code?: string }).code === "INVALID_ARGUMENT",
          `rejects ${bitsPerSecond}`,
        );
      }
      const listed = (await datapath.listLimits()).filter((l) => l.podKey === attachment.podKey);
      assert.deepEqual(listed, [], "a rejected limit installs nothing");
    });

    it("outside-cluster limits stand alone or beside the limit on all traffic, and are listed", async () => {
      const attachment = await harness.newAttachment("external");
      const direction = directions[0] ?? "egress";
      await datapath.ensureLimit({ attachment, direction, bitsPerSecond: null, externalBitsPerSecond: 10_000_000 });
      let listed = (await datapath.listLimits()).find((limit) => limit.podKey === attachment.podKey);
      assert.deepEqual([listed?.bitsPerSecond, listed?.externalBitsPerSecond], [null, 10_000_000]);
      await datapath.ensureLimit({ attachment, direction, bitsPerSecond: 100_000_000, externalBitsPerSecond: 10_000_000 });
      listed = (await datapath.listLimits()).find((limit) => limit.podKey === attachment.podKey);
      assert.deepEqual([listed?.bitsPerSecond, listed?.externalBitsPerSecond], [100_000_000, 10_000_000]);
      await assert.rejects(
        datapath.ensureLimit({ attachment, direction, bitsPerSecond: null }),
        (error: unknown) => (error as { code?: string }).code === "INVALID_ARGUMENT",
        "nothing to enforce: remove the limit instead",
      );
      await datapath.removeLimit(attachment.podKey, direction);
    });

    it("budgets: a timeline Pods are charged to, listed by key, kept while a Pod uses it, then removed", async () => {
      const direction = directions[0] ?? "egress";
      const key = "default/crawler/uid-b1";
      const { slot } = await datapath.ensureBudget({ key, direction, scope: "outside-cluster", bitsPerSecond: 10_000_000 });
      assert.ok(slot > 0);
      assert.deepEqual((await datapath.ensureBudget({ key, direction, scope: "outside-cluster", bitsPerSecond: 20_000_000 })).slot, slot, "an edit keeps the slot");
      const a = await harness.newAttachment("budget-a");
      await datapath.ensureLimit({ attachment: a, direction, bitsPerSecond: null, budgets: [key] });
      const listed = (await datapath.listLimits()).find((limit) => limit.podKey === a.podKey);
      assert.deepEqual(listed?.budgets, [key]);
      const budgets = (await datapath.listBudgets()).filter((budget) => budget.key === key);
      assert.deepEqual(budgets.map((budget) => [budget.direction, budget.scope, budget.bitsPerSecond, budget.slot]), [[direction, "outside-cluster", 20_000_000, slot]]);
      assert.equal(budgets[0]?.expiresInMs, undefined, "a share without expiry lists none");
      await datapath.ensureBudget({ key, direction, scope: "outside-cluster", bitsPerSecond: 20_000_000, expiresInMs: 60_000, fallbackBitsPerSecond: 1_000_000 });
      const expiring = (await datapath.listBudgets()).find((budget) => budget.key === key);
      assert.ok(expiring?.expiresInMs !== undefined && expiring.expiresInMs > 50_000 && expiring.expiresInMs <= 60_000, `the expiry is read back: ${expiring?.expiresInMs}`);
      assert.equal(expiring?.fallbackBitsPerSecond, 1_000_000);
      await assert.rejects(datapath.removeBudget(key, direction), (error: unknown) => (error as { code?: string }).code === "INVALID_ARGUMENT", "in use by a Pod");
      await assert.rejects(
        datapath.ensureLimit({ attachment: a, direction, bitsPerSecond: null, budgets: ["default/unknown/u"] }),
        (error: unknown) => (error as { code?: string }).code === "INVALID_ARGUMENT",
        "a budget never ensured",
      );
      await datapath.removeLimit(a.podKey, direction);
      await datapath.removeBudget(key, direction);
      await datapath.removeBudget(key, direction);
      assert.deepEqual((await datapath.listBudgets()).filter((budget) => budget.key === key), []);
    });

    it("inside-the-cluster ranges: IPv4 and IPv6, normalized, replaced as a whole; a bad prefix is INVALID_ARGUMENT", async () => {
      await datapath.setInternalRanges(["10.42.1.5/16", "fd00:10:244::/56", "192.168.0.0/16"]);
      assert.deepEqual(await datapath.internalRanges(), ["10.42.0.0/16", "192.168.0.0/16", "fd00:10:244::/56"]);
      await datapath.setInternalRanges(["10.43.0.0/16"]);
      assert.deepEqual(await datapath.internalRanges(), ["10.43.0.0/16"]);
      await assert.rejects(datapath.setInternalRanges(["10.0.0.0/33"]), (error: unknown) => (error as { code?: string }).code === "INVALID_ARGUMENT");
      assert.deepEqual(await datapath.internalRanges(), ["10.43.0.0/16"], "a rejected set changes nothing");
      await datapath.setInternalRanges([]);
    });

    it("a missing network namespace is NOT_FOUND", async () => {
      const attachment: PodAttachment = {
        podKey: "default/ghost/0000",
        netnsPath: "/var/run/netns/pacer-conformance-does-not-exist",
        podInterface: "eth0",
        hostInterface: "pacer-ghost0",
      };
      await assert.rejects(
        datapath.ensureLimit({ attachment, direction: "egress", bitsPerSecond: 10_000_000 }),
        (error: unknown) => (error as { code?: string }).code === "NOT_FOUND",
      );
    });
  });
}
