/**
 * Property: over any sequence of Pod events (upsert/edit/delete, good and bad values, hostNetwork), agent
 * restarts and tampering, after a reconcile the fake kernel holds exactly the desired limits — where an
 * invalid value keeps the last good limit — and every tampered piece is back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Direction } from "../datapath/datapath.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import type { PodInfo } from "../kube/pod.js";
import { BANDWIDTH_ANNOTATIONS, DIRECTIONS } from "./annotations.js";
import { parseBandwidth } from "./quantity.js";
import { Reconciler } from "./reconciler.js";
import { FakeResolver, makePod, RecordingEvents } from "./testing/fakes.js";

const VALUES = ["10M", "10Mi", "1.5M", "1e6", "100k", "1m", "2P", "abc", "999"];
const NAMES = ["a", "b", "c", "d"];

type Step =
  | { kind: "upsert"; name: string; egress: string | null; ingress: string | null; hostNetwork: boolean }
  | { kind: "delete"; name: string }
  | { kind: "restart" }
  | { kind: "tamper"; name: string; direction: Direction; piece: "qdisc" | "program" }
  | { kind: "reconcile"; verifyAll: boolean };

const value = fc.option(fc.constantFrom(...VALUES), { nil: null });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("upsert" as const), name: fc.constantFrom(...NAMES), egress: value, ingress: value, hostNetwork: fc.integer({ min: 0, max: 9 }).map((n) => n < 2) }),
  fc.record({ kind: fc.constant("delete" as const), name: fc.constantFrom(...NAMES) }),
  fc.constant({ kind: "restart" as const }),
  fc.record({ kind: fc.constant("tamper" as const), name: fc.constantFrom(...NAMES), direction: fc.constantFrom<Direction>("egress", "ingress"), piece: fc.constantFrom("qdisc" as const, "program" as const) }),
  fc.record({ kind: fc.constant("reconcile" as const), verifyAll: fc.boolean() }),
);

const validOrNull = (text: string | null): number | null => {
  if (text === null) return null;
  try {
    return parseBandwidth(text);
  } catch {
    return null;
  }
};

function podOf(s: Extract<Step, { kind: "upsert" }>): PodInfo {
  const annotations: Record<string, string> = {};
  if (s.egress !== null) annotations[BANDWIDTH_ANNOTATIONS.all.egress] = s.egress;
  if (s.ingress !== null) annotations[BANDWIDTH_ANNOTATIONS.all.ingress] = s.ingress;
  return makePod(s.name, annotations, { hostNetwork: s.hostNetwork });
}

describe("Reconciler property", () => {
  it("after reconcile, the datapath equals desired (last good kept for invalid values)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const kernel = new FakeKernel();
        const open = () =>
          new Reconciler({ datapath: new FakeDatapath(kernel), manager: { disabledReason: null }, resolver: new FakeResolver(), events: new RecordingEvents(), log: () => {}, maxBackoffMs: 1000 });
        const pods = new Map<string, PodInfo>();
        /** The model: what must be enforced per `name direction`. */
        const model = new Map<string, number>();
        let reconciler = open();
        reconciler.applyEvent({ type: "sync", pods: [] });
        const settleModel = () => {
          for (const key of [...model.keys()]) if (!pods.has(key.split(" ")[0] ?? "")) model.delete(key);
          for (const [name, pod] of pods) {
            for (const direction of DIRECTIONS) {
              const key = `${name} ${direction}`;
              const text = pod.annotations[BANDWIDTH_ANNOTATIONS.all[direction]] ?? null;
              const good = validOrNull(text);
              if (pod.hostNetwork || text === null) model.delete(key);
              else if (good !== null) model.set(key, good);
              // invalid: the model keeps whatever it had (the last good limit), or nothing
            }
          }
        };
        for (const s of steps) {
          if (s.kind === "upsert") {
            pods.set(s.name, podOf(s));
            reconciler.applyEvent({ type: "upsert", pod: podOf(s) });
          } else if (s.kind === "delete") {
            const pod = pods.get(s.name);
            pods.delete(s.name);
            if (pod) reconciler.applyEvent({ type: "delete", pod });
          } else if (s.kind === "restart") {
            // A new agent over the same kernel: it gets the current Pods in its first sync and adopts the rest.
            reconciler = open();
            reconciler.applyEvent({ type: "sync", pods: [...pods.values()] });
          } else if (s.kind === "tamper") {
            if (kernel.entries.has(`default/${s.name}/uid-${s.name}\u0000${s.direction}`)) kernel.tamper(`default/${s.name}/uid-${s.name}`, s.direction, s.piece);
          } else {
            await reconciler.reconcile({ verifyAll: s.verifyAll });
            settleModel();
          }
        }
        await reconciler.reconcile({ verifyAll: true });
        settleModel();
        const actual = new Map(
          [...kernel.entries.values()].map((e) => [`${e.spec.attachment.podKey.split("/")[1]} ${e.spec.direction}`, e.spec.bitsPerSecond]),
        );
        assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...model].sort()));
        for (const entry of kernel.entries.values()) assert.ok(entry.qdiscInstalled && entry.programAttached, "tampering repaired");
        for (const row of reconciler.rows()) {
          const expected = model.get(`${row.name} ${row.direction}`) ?? null;
          assert.equal(row.enforcedBitsPerSecond, expected, `row ${row.name} ${row.direction} (${row.state})`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
