/**
 * Runs the Kubernetes API-server TEST DOUBLE in a child process and drives it over IPC — for measurements
 * where the double must not share the measured process (the agent benchmark's RSS), or to survive the
 * measured process's event-loop stalls.
 *
 *   const apiserver = await forkApiServerDouble();
 *   await apiserver.upsertMany(pods); await apiserver.setAnnotations("default", "p1", { ... });
 */
import { fork, type ChildProcess } from "node:child_process";
import type { PodObject } from "./pod-store.js";

export interface ApiServerDoubleChild {
  readonly url: string;
  readonly kubeconfig: string;
  readonly pid: number;
  upsertMany(pods: PodObject[]): Promise<string>;
  /** Merges `annotations` into the Pod's; resolves with the new resourceVersion once the double applied it. */
  setAnnotations(namespace: string, name: string, annotations: Record<string, string>): Promise<string>;
  delete(namespace: string, name: string): Promise<void>;
  counts(): Promise<{ lists: number; watches: number; eventWrites: number; events: number; rssBytes: number }>;
  close(): Promise<void>;
}

interface Reply {
  id?: number;
  result?: unknown;
  error?: string;
  ready?: { url: string; kubeconfig: string };
}

export async function forkApiServerDouble(): Promise<ApiServerDoubleChild> {
  const child: ChildProcess = fork(new URL("./child-main.js", import.meta.url), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const ready = new Promise<{ url: string; kubeconfig: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`apiserver test double child exited with ${code} before it was ready`)));
    child.on("message", (raw) => {
      const reply = raw as Reply;
      if (reply.ready) resolve(reply.ready);
      else if (reply.id !== undefined) {
        const waiter = waiting.get(reply.id);
        waiting.delete(reply.id);
        if (reply.error !== undefined) waiter?.reject(new Error(reply.error));
        else waiter?.resolve(reply.result);
      }
    });
  });
  child.on("exit", () => {
    for (const waiter of waiting.values()) waiter.reject(new Error("apiserver test double child exited"));
    waiting.clear();
  });
  const call = <T>(op: string, fields: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, op, ...fields });
    });
  const { url, kubeconfig } = await ready;
  return {
    url,
    kubeconfig,
    pid: child.pid ?? -1,
    upsertMany: (pods) => call<string>("upsertMany", { pods }),
    setAnnotations: (namespace, name, annotations) => call<string>("setAnnotations", { namespace, name, annotations }),
    delete: (namespace, name) => call<void>("delete", { namespace, name }),
    counts: () => call("counts"),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await call<void>("close").catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
