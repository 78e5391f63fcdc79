/** The pods-dir source against a real directory: sync, live edits, deletes, node filter, malformed files. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PodEvent } from "./pod.js";
import { createPodsDirSource, podsFromManifestText } from "./pods-dir.js";

const pod = (name: string, egress?: string, extra = "") => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: lab${egress ? `\n  annotations:\n    kubernetes.io/egress-bandwidth: "${egress}"` : ""}
spec:
  containers: [{ name: c, image: busybox }]${extra}
status:
  podIP: 10.1.0.7
`;

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("podsFromManifestText", () => {
  it("reads several documents, Lists, defaults", () => {
    const pods = podsFromManifestText(`${pod("a", "10M")}---\nkind: List\nitems:\n- kind: Pod\n  metadata: { name: b, uid: u-1 }\n---\nkind: Namespace\nmetadata: { name: lab }\n`);
    assert.deepEqual(pods.map((p) => [p.namespace, p.name, p.uid, p.podIPs]), [
      ["lab", "a", "manifest", ["10.1.0.7"]],
      ["default", "b", "u-1", []],
    ]);
    assert.equal(pods[0]?.annotations["kubernetes.io/egress-bandwidth"], "10M");
  });
  it("rejects what it can't read, naming the document", () => {
    assert.throws(() => podsFromManifestText("kind: Pod\nmetadata: {}\n"), { code: "MALFORMED_MANIFEST", message: /document 1: a Pod needs metadata.name/ });
    assert.throws(() => podsFromManifestText("---\nkind: Pod\nmetadata:\n  name: a\n  annotations: { x: 10 }\n"), { message: /annotation x must be a string/ });
    assert.throws(() => podsFromManifestText("kind: Pod\nmetadata: [\n"), { code: "MALFORMED_MANIFEST" });
  });
});

describe("pods-dir source", () => {
  let dir: string;
  const events: PodEvent[] = [];
  const logs: string[] = [];
  const source = () => createPodsDirSource({ dir, nodeName: "node-a", log: (line) => logs.push(line), rescanIntervalMs: 200 });
  let running: ReturnType<typeof createPodsDirSource>;
  const names = (type: PodEvent["type"]) =>
    events.filter((e) => e.type === type).map((e) => (e.type === "sync" ? e.pods.map((p) => p.name).join(",") : e.pod.name));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `pa-pods-${process.pid}-`));
    await writeFile(join(dir, "a.yaml"), `${pod("a", "10M")}---\n${pod("other", "1M", "\n  nodeName: node-b")}`);
    await writeFile(join(dir, "mine.yml"), pod("b", undefined, "\n  nodeName: node-a"));
    await writeFile(join(dir, ".a.yaml.swp"), "garbage: [");
    running = source();
    await running.start((event) => events.push(event));
  });
  after(async () => {
    await running?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("starts with one sync of this node's Pods", () => {
    assert.equal(events[0]?.type, "sync");
    assert.deepEqual(names("sync"), ["a,b"]);
  });

  it("emits an upsert for an edit, and nothing for an unchanged rewrite", async () => {
    await writeFile(join(dir, "mine.yml"), pod("b", undefined, "\n  nodeName: node-a"));
    await writeFile(join(dir, "a.yaml"), pod("a", "20M"));
    await until(() => names("upsert").includes("a"), "upsert of a");
    const upsert = events.find((e) => e.type === "upsert");
    assert.equal(upsert?.type === "upsert" && upsert.pod.annotations["kubernetes.io/egress-bandwidth"], "20M");
    assert.deepEqual(names("upsert"), ["a"]);
  });

  it("keeps the last good Pods of a malformed file and logs it once", async () => {
    await writeFile(join(dir, "a.yaml"), "kind: Pod\nmetadata: [\n");
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(names("delete"), []);
    assert.equal(logs.filter((line) => line.includes("malformed")).length, 1, logs.join("\n"));
    assert.match(logs.find((line) => line.includes("malformed")) ?? "", /a\.yaml.*keeping its 1 Pod/);
  });

  it("emits a delete when a file goes away, and picks up new files", async () => {
    await unlink(join(dir, "a.yaml"));
    await writeFile(join(dir, "c.yaml"), pod("c", "5M"));
    await until(() => names("delete").includes("a") && names("upsert").includes("c"), "delete a, upsert c");
  });

  it("a restarted source syncs the same keys (stable uid for adoption)", async () => {
    const again: PodEvent[] = [];
    const second = source();
    await second.start((event) => again.push(event));
    await second.stop();
    const sync = again[0];
    assert.equal(sync?.type, "sync");
    assert.deepEqual(sync?.type === "sync" && sync.pods.map((p) => `${p.namespace}/${p.name}/${p.uid}`).sort(), ["lab/b/manifest", "lab/c/manifest"]);
  });
});
