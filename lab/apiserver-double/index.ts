/**
 * A Kubernetes API-server TEST DOUBLE for tests and benchmarks of pacer's Kubernetes side: the Pod store
 * (drive it: upsert/modify/delete/compact), the recorded Events, the HTTP server the real client talks to, and
 * a kubeconfig pointing at it. Not an API server — see server.ts for exactly what it speaks.
 *
 *   const apiserver = await startApiServerDouble();
 *   const kubeconfig = await apiserver.writeKubeconfig();   // temp dir, removed by close()
 *   apiserver.pods.upsert({ metadata: { namespace: "default", name: "a" }, spec: { nodeName: "node-a" } });
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { PodStore } from "./pod-store.js";
import { EventStore } from "./event-store.js";
import { startHttpDouble, type ApiServerDoubleHttp } from "./server.js";

export { PodStore, type PodObject, type WatchEvent } from "./pod-store.js";
export { EventStore, type RecordedEventRequest, type StoredEvent } from "./event-store.js";
export { parseFieldSelector, matchesFieldSelector } from "./field-selector.js";

export interface ApiServerDouble extends ApiServerDoubleHttp {
  readonly pods: PodStore;
  readonly events: EventStore;
  /** Writes a kubeconfig for this double into a fresh temp dir (or `directory`); returns its path. */
  writeKubeconfig(directory?: string): Promise<string>;
}

export async function startApiServerDouble(options: { log?: (line: string) => void } = {}): Promise<ApiServerDouble> {
  const pods = new PodStore();
  const events = new EventStore();
  const http = await startHttpDouble(pods, events, options.log);
  const temporaryDirectories: string[] = [];
  return {
    ...http,
    url: http.url,
    counts: http.counts,
    pods,
    events,
    async writeKubeconfig(directory?: string) {
      const target = directory ?? (await mkdtemp(join(tmpdir(), "pk-apiserver-double-")));
      if (directory === undefined) temporaryDirectories.push(target);
      const path = join(target, "kubeconfig");
      const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": "apiserver-test-double",
        // client-node refuses plain http unless TLS verification is off (there is no TLS to verify here)
        clusters: [{ name: "apiserver-test-double", cluster: { server: http.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "apiserver-test-double", user: { token: "test-double-token" } }],
        contexts: [
          { name: "apiserver-test-double", context: { cluster: "apiserver-test-double", user: "apiserver-test-double" } },
        ],
      };
      await writeFile(path, stringify(kubeconfig), { mode: 0o600 });
      return path;
    },
    async close() {
      await http.close();
      await Promise.all(temporaryDirectories.map((path) => rm(path, { recursive: true, force: true })));
    },
  };
}
