/**
 * Entry point of the Kubernetes API-server TEST DOUBLE in a child process (forked by child.ts, IPC channel):
 * keeps the double's memory and CPU out of the measured process (the agent benchmark). Answers requests
 * `{ id, op, ... }` with `{ id, result }` or `{ id, error }`; announces `{ ready: { url, kubeconfig } }`.
 */
import { startApiServerDouble, type PodObject } from "./index.js";

interface Request {
  id: number;
  op: "upsertMany" | "setAnnotations" | "delete" | "counts" | "close";
  pods?: PodObject[];
  namespace?: string;
  name?: string;
  annotations?: Record<string, string>;
}

const send = (message: unknown): void => {
  process.send?.(message);
};

const apiserver = await startApiServerDouble({ log: (line) => console.error(line) });
const kubeconfig = await apiserver.writeKubeconfig();

process.on("message", (raw) => {
  const request = raw as Request;
  try {
    switch (request.op) {
      case "upsertMany":
        for (const pod of request.pods ?? []) apiserver.pods.upsert(pod);
        send({ id: request.id, result: apiserver.pods.currentResourceVersion() });
        break;
      case "setAnnotations": {
        const updated = apiserver.pods.modify(request.namespace ?? "", request.name ?? "", (pod) => {
          pod.metadata.annotations = { ...pod.metadata.annotations, ...request.annotations };
        });
        send({ id: request.id, result: updated.metadata.resourceVersion });
        break;
      }
      case "delete":
        apiserver.pods.delete(request.namespace ?? "", request.name ?? "");
        send({ id: request.id, result: null });
        break;
      case "counts":
        send({ id: request.id, result: { ...apiserver.counts, events: apiserver.events.all().length, rssBytes: process.memoryUsage().rss } });
        break;
      case "close":
        void apiserver.close().then(() => {
          send({ id: request.id, result: null });
          process.disconnect?.();
        });
        break;
      default:
        send({ id: request.id, error: `apiserver test double child: unknown op ${String(request.op)}` });
    }
  } catch (error) {
    send({ id: request.id, error: `apiserver test double child: ${request.op}: ${String(error)}` });
  }
});
process.on("disconnect", () => {
  void apiserver.close().then(() => process.exit(0));
});

send({ ready: { url: apiserver.url, kubeconfig } });
