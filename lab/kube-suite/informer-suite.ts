/**
 * The informer Pod source's suite, one set of cases for any API server (backend.ts): sync, add/modify/delete,
 * other nodes' Pods never arriving, 410 Gone → relist, an outage with compacted history, a dropped connection,
 * a server down at start, and what list/watch failures tell `pacer status` (ApiAccess), RBAC 403 included.
 * informer.test.ts runs it against the test double and a real kube-apiserver.
 */
import { after, afterEach, before, it } from "node:test";
import assert from "node:assert/strict";
import { ApiAccess } from "../../src/kube/api/access.js";
import { createInformerPodSource } from "../../src/kube/informer.js";
import type { PodEvent, PodInfo, PodSource } from "../../src/kube/pod.js";
import type { KubeSuiteBackend, SuitePod } from "./backend.js";

const node = "pk-node-a";
const EGRESS = "kubernetes.io/egress-bandwidth";

/** Collects a source's events and keeps the resulting state (name → PodInfo). */
export class Recorder {
  readonly events: PodEvent[] = [];
  readonly state = new Map<string, PodInfo>();

  readonly handle = (event: PodEvent): void => {
    this.events.push(event);
    if (event.type === "sync") for (const p of event.pods) this.state.set(p.name, p);
    else if (event.type === "upsert") this.state.set(event.pod.name, event.pod);
    else if (this.state.get(event.pod.name)?.uid === event.pod.uid) this.state.delete(event.pod.name);
  };

  names(): string[] {
    return [...this.state.keys()].sort();
  }

  /**
   * Event summaries in the order each first happened: a real Pod is created, then its status written (two
   * upserts), and a Pod deleted is first marked (an upsert with deletionTimestamp), then gone.
   */
  summaries(): string[] {
    return [...new Set(this.events.map((e) => (e.type === "sync" ? `sync[${e.pods.map((p) => p.name).sort().join(",")}]` : `${e.type} ${e.pod.name}`)))];
  }
}

export async function until(what: string, predicate: () => boolean | Promise<boolean>, detail: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function informerSuite(start: () => Promise<KubeSuiteBackend>): void {
  let backend: KubeSuiteBackend;
  const sources: PodSource[] = [];
  let logLines: string[] = [];
  before(async () => {
    backend = await start();
  });
  after(async () => {
    for (const source of sources) await source.stop();
    await backend?.close();
  });
  // Every test leaves the server as it found it, passed or failed: its sources stopped, its Pods deleted.
  const created = new Set<string>();
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.stop();
    await backend.heal();
    for (const name of created) await backend.deletePod(name).catch(() => undefined);
    created.clear();
  });
  const createPod = async (pod: SuitePod) => {
    created.add(pod.name);
    await backend.createPod(pod);
  };

  const startSource = async (recorder: Recorder, access = new ApiAccess()): Promise<PodSource> => {
    logLines = [];
    const source = createInformerPodSource({
      kubeconfig: backend.kubeconfig, nodeName: node, access, log: (line) => logLines.push(line),
      backoff: { initialMilliseconds: 50, maxMilliseconds: 400 },
    });
    sources.push(source);
    await source.start(recorder.handle);
    return source;
  };
  const wait = (recorder: Recorder, what: string, predicate: () => boolean | Promise<boolean>) =>
    until(what, predicate, () => `events: ${JSON.stringify(recorder.summaries())}; log: ${logLines.slice(-5).join(" | ")}`);

  it("syncs first, then delivers add, modify and delete; other nodes' Pods never arrive", async () => {
    await createPod({ name: "t1-a", nodeName: node });
    await createPod({ name: "t1-other", nodeName: "pk-node-b" });
    const recorder = new Recorder();
    const source = await startSource(recorder);
    assert.equal(recorder.events[0]?.type, "sync");
    assert.deepEqual(recorder.names(), ["t1-a"]);
    const synced = recorder.state.get("t1-a");
    assert.deepEqual(synced?.podIPs, ["10.0.0.1", "fd00::1"]);
    assert.equal(synced?.nodeName, node);
    assert.equal(synced?.namespace, backend.namespace);

    await createPod({ name: "t1-b", nodeName: node, annotations: { [EGRESS]: "10M" } });
    await createPod({ name: "t1-other-2", nodeName: "pk-node-b" });
    await backend.setAnnotations("t1-a", { [EGRESS]: "5M" });
    await backend.setAnnotations("t1-other", { x: "y" });
    await backend.deletePod("t1-b");
    await wait(recorder, "t1-b deleted", () => recorder.events.some((e) => e.type === "delete" && e.pod.name === "t1-b"));
    assert.deepEqual(recorder.summaries(), ["sync[t1-a]", "upsert t1-b", "upsert t1-a", "delete t1-b"]);
    assert.equal(recorder.state.get("t1-a")?.annotations[EGRESS], "5M");
    assert.ok(recorder.events.every((e) => e.type === "sync" || e.pod.nodeName === node));
    await source.stop();
  });

  it("relists after 410 Gone (says so in its log) and ends in the server's state", async () => {
    await createPod({ name: "t2-a", nodeName: node });
    const recorder = new Recorder();
    const source = await startSource(recorder);
    await createPod({ name: "t2-b", nodeName: node });
    await wait(recorder, "t2-b", () => recorder.state.has("t2-b"));
    await backend.expireWatches();
    await wait(recorder, "the relist", () => logLines.some((line) => /410 Gone/.test(line)));
    await createPod({ name: "t2-c", nodeName: node });
    await wait(recorder, "t2-c after the relist", () => recorder.state.has("t2-c"));
    assert.deepEqual(recorder.names(), ["t2-a", "t2-b", "t2-c"]);
    assert.ok(!recorder.events.some((e) => e.type === "delete"), "a relist of the same Pods deletes none");
    await source.stop();
  });

  it("after an outage with compacted history: retries with a growing backoff, relists, deletes Pods that vanished; status says why meanwhile", async () => {
    for (const name of ["t3-gone", "t3-edited", "t3-recreated"]) await createPod({ name, nodeName: node });
    const recorder = new Recorder();
    const access = new ApiAccess();
    const source = await startSource(recorder, access);
    await wait(recorder, "three Pods", () => recorder.names().length === 3);
    const oldUid = recorder.state.get("t3-recreated")?.uid;
    await backend.cutOff();
    try {
      await backend.deletePod("t3-gone");
      await backend.setAnnotations("t3-edited", { [EGRESS]: "1M" });
      await backend.deletePod("t3-recreated");
      await createPod({ name: "t3-recreated", nodeName: node });
      await createPod({ name: "t3-new", nodeName: node });
      await backend.compact();
      await wait(recorder, "five failed retries", () => logLines.filter((line) => /retry in/.test(line)).length >= 5);
      // 50 ms doubling to 400 ms: the fifth retry waits between 200 and 400 ms (not 50 ms again and again)
      const delays = logLines.flatMap((line) => /retry in (\d+) ms/.exec(line)?.[1] ?? []).map(Number);
      assert.ok(Math.max(...delays) >= 200, `the retries back off: ${delays.join(", ")} ms`);
      const problems = access.problems();
      assert.ok(problems.some((problem) => problem.resource === "pods"), `pacer status names the failing request: ${JSON.stringify(problems)}`);
    } finally {
      await backend.heal();
    }
    await wait(recorder, "t3-new", () => recorder.state.has("t3-new"));
    await wait(recorder, "t3-gone deleted", () => !recorder.state.has("t3-gone"));
    assert.deepEqual(recorder.names(), ["t3-edited", "t3-new", "t3-recreated"]);
    assert.equal(recorder.state.get("t3-edited")?.annotations[EGRESS], "1M");
    const recreated = recorder.events.filter((e) => e.type !== "sync" && e.pod.name === "t3-recreated");
    assert.deepEqual(recreated.map((e) => e.type), ["delete", "upsert"]);
    assert.equal(recreated[0]?.type !== "sync" && recreated[0]?.pod.uid, oldUid);
    assert.notEqual(recorder.state.get("t3-recreated")?.uid, oldUid);
    await wait(recorder, "the problems cleared", () => access.problems().length === 0);
    await source.stop();
  });

  it("reconnects after a dropped connection and delivers changes made during and after the drop", async () => {
    const recorder = new Recorder();
    const source = await startSource(recorder);
    await backend.dropConnections();
    await createPod({ name: "t4-during", nodeName: node });
    await createPod({ name: "t4-after", nodeName: node });
    await wait(recorder, "t4-after", () => recorder.state.has("t4-after") && recorder.state.has("t4-during"));
    assert.deepEqual(recorder.names(), ["t4-after", "t4-during"]);
    await source.stop();
  });

  it("waits out an API server that is down at start, then syncs", async () => {
    await createPod({ name: "t5-a", nodeName: node });
    await backend.cutOff();
    const recorder = new Recorder();
    let started = false;
    const starting = startSource(recorder).then(() => (started = true));
    try {
      await wait(recorder, "two failed lists", () => logLines.filter((line) => /retry in/.test(line)).length >= 2);
      assert.equal(started, false, "start() resolves only after the first sync");
    } finally {
      await backend.heal();
    }
    await starting;
    assert.equal(recorder.events[0]?.type, "sync");
    assert.deepEqual(recorder.names(), ["t5-a"]);
  });

  for (const verb of ["list", "watch"]) {
    it(`without RBAC verb "${verb}" on pods: pacer status says which verb to grant; granted again, it syncs and the problem clears`, async () => {
      await createPod({ name: `t6-${verb}`, nodeName: node });
      await backend.setForbidden(verb, "pods", true);
      const recorder = new Recorder();
      const access = new ApiAccess();
      let starting: Promise<PodSource> | undefined;
      try {
        starting = startSource(recorder, access);
        await wait(recorder, `a ${verb} refused`, () => access.problems().some((problem) => problem.verb === verb));
        const problem = access.problems().find((candidate) => candidate.verb === verb);
        assert.equal(problem?.statusCode, 403);
        assert.equal(problem?.resource, "pods");
        assert.match(problem?.action ?? "", new RegExp(`grant verb "${verb}" on resource "pods"`));
      } finally {
        await backend.setForbidden(verb, "pods", false);
      }
      await starting;
      await wait(recorder, `t6-${verb} delivered`, () => recorder.state.has(`t6-${verb}`));
      await wait(recorder, "the problem cleared", () => access.problems().length === 0);
    });
  }
}
