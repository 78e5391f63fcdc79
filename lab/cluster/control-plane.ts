/**
 * A real Kubernetes control plane for one test run, the way controller-runtime's envtest runs one: etcd and
 * kube-apiserver as child processes of this one, on loopback (or an address of a network namespace the test
 * made), with TLS, the Node and RBAC authorizers and ServiceAccount tokens signed by a key of its own. No
 * kube-controller-manager, scheduler or kubelet: tests play those parts (lab/cluster/kubelet.ts).
 *
 *   const plane = await startControlPlane({ dir: await mkdtemp(...) });
 *   ... plane.adminKubeconfig, plane.server ...
 *   await plane.stop();              // kills both by pid, removes dir; also run at process exit
 *
 * Flags that matter (the rest is envtest's minimum): ServiceAccount admission is off (the controller that
 * creates each namespace's `default` ServiceAccount is not running, and Pods would be refused without it);
 * the endpoint reconciler is off (it refuses loopback addresses); with `watchCacheOffForPods` the Pod watch
 * reads etcd directly, so an `etcdctl compact` makes an older resourceVersion answer 410 Gone at once; every
 * request by a ServiceAccount is written to an audit log (the server's own record of what the agent asked).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { apiGetStatus } from "./https.js";
import { makeControlPlanePki, type ControlPlanePki } from "./pki.js";
import { clusterTools, type ClusterTools } from "./tools.js";

export interface ControlPlaneOptions {
  /** State directory (PKI, etcd data, logs); removed by stop(). */
  dir: string;
  /** Where kube-apiserver listens (default 127.0.0.1); "0.0.0.0" for every address of the namespace. */
  bindAddress?: string;
  /** Addresses clients reach the server at (the serving certificate's SANs); default [bindAddress]. */
  serverIps?: string[];
  watchCacheOffForPods?: boolean;
  tools?: ClusterTools;
  log?: (line: string) => void;
}

export interface AuditRecord {
  verb: string;
  user: string;
  /** With its subresource, as in RBAC rules ("pods", "bandwidthbudgets/status"). */
  resource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
  code: number | undefined;
  stage: string;
  requestReceivedTimestamp: string;
}

export interface ControlPlane {
  /** https://<first server IP>:<port> */
  readonly server: string;
  readonly port: number;
  readonly pki: ControlPlanePki;
  readonly adminKubeconfig: string;
  readonly etcdEndpoint: string;
  readonly apiserverLog: string;
  readonly running: boolean;
  /** Stops kube-apiserver (SIGTERM, by pid) and waits for it to exit; etcd keeps running. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again with the same flags and state; resolves once /readyz answers ok. */
  startApiserver(): Promise<number>;
  /** Compacts etcd at its current revision (resourceVersions before it are gone); returns the revision. */
  compact(): Promise<number>;
  /** Requests made by ServiceAccounts, from the audit log (ResponseComplete and Panic stages only). */
  audit(): Promise<AuditRecord[]>;
  /**
   * When kube-apiserver was stopped or starting (from stop to /readyz ok). A starting server already answers
   * before its RBAC cache is filled: ServiceAccounts get 403 then, whatever their roles.
   */
  readonly notReady: ReadonlyArray<{ from: Date; to: Date | null }>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;
/** A test that crashes must not leave servers behind: kill what is still running, by pid, at exit. */
function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const running of children) running.kill("SIGKILL");
  });
}

export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function startLogged(file: string, args: string[], logPath: string): ChildProcess {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  const sink = createWriteStream(logPath, { flags: "a" });
  child.stdout?.pipe(sink, { end: false });
  child.stderr?.pipe(sink, { end: false });
  child.once("close", () => sink.end());
  track(child);
  return child;
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

const tailOf = async (path: string): Promise<string> => (await readFile(path, "utf8").catch(() => "")).split("\n").slice(-25).join("\n");

async function waitUntil(what: string, child: ChildProcess, logPath: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: exited (${child.exitCode ?? child.signalCode}) before it was ready; ${logPath}:\n${await tailOf(logPath)}`);
    if (await ok().catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s; ${logPath}:\n${await tailOf(logPath)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const AUDIT_POLICY = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [{ level: "Metadata", userGroups: ["system:serviceaccounts"] }, { level: "None" }],
};

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const tools = options.tools ?? clusterTools();
  const log = options.log ?? (() => {});
  const { dir } = options;
  const bindAddress = options.bindAddress ?? "127.0.0.1";
  const serverIps = options.serverIps ?? [bindAddress];
  const host = serverIps[0] ?? "127.0.0.1";
  await mkdir(join(dir, "pki"), { recursive: true });
  await mkdir(join(dir, "etcd"), { recursive: true, mode: 0o700 });
  const pki = await makeControlPlanePki(join(dir, "pki"), [...serverIps, "127.0.0.1"]);
  const [etcdPort, peerPort, port] = [await freePort("127.0.0.1"), await freePort("127.0.0.1"), await freePort(host === "0.0.0.0" ? "127.0.0.1" : host)];
  const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
  const server = `https://${host}:${port}`;
  const etcdLog = join(dir, "etcd.log");
  const apiserverLog = join(dir, "kube-apiserver.log");
  const auditLog = join(dir, "audit.log");
  await writeFile(join(dir, "audit-policy.yaml"), stringify(AUDIT_POLICY));
  const adminKubeconfig = join(dir, "admin.kubeconfig");
  await writeFile(adminKubeconfig, stringify({
    apiVersion: "v1", kind: "Config", "current-context": "lab",
    clusters: [{ name: "lab", cluster: { server, "certificate-authority": pki.caCert } }],
    users: [{ name: "admin", user: { "client-certificate": pki.adminCert, "client-key": pki.adminKey } }],
    contexts: [{ name: "lab", context: { cluster: "lab", user: "admin" } }],
  }));

  let etcd: ChildProcess | null = null;
  let apiserver: ChildProcess | null = null;
  const issuer = "https://kubernetes.default.svc.cluster.local";
  const apiserverArgs = [
    `--etcd-servers=${etcdEndpoint}`, `--bind-address=${bindAddress}`, `--secure-port=${port}`,
    `--advertise-address=${host === "0.0.0.0" ? "127.0.0.1" : host}`,
    `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
    "--authorization-mode=Node,RBAC",
    // as kubeadm and RKE2 set it: the chart's bpffs init container is privileged
    "--allow-privileged=true",
    `--service-account-issuer=${issuer}`, `--api-audiences=${issuer}`,
    `--service-account-key-file=${pki.serviceAccountPublicKey}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    "--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none",
    "--disable-admission-plugins=ServiceAccount", `--cert-dir=${join(dir, "pki", "generated")}`,
    `--audit-policy-file=${join(dir, "audit-policy.yaml")}`, `--audit-log-path=${auditLog}`, "--audit-log-format=json",
    ...(options.watchCacheOffForPods === true ? ["--watch-cache-sizes=pods#0"] : []),
    "--v=1",
  ];
  const notReady: Array<{ from: Date; to: Date | null }> = [];
  const readyz = async () => (await apiGetStatus({ server, pki, path: "/readyz" })) === 200;

  const startApiserver = async (): Promise<number> => {
    const started = performance.now();
    apiserver = startLogged(tools.kubeApiserver, apiserverArgs, apiserverLog);
    await waitUntil("kube-apiserver", apiserver, apiserverLog, readyz, 120_000);
    const readyMs = performance.now() - started;
    const window = notReady.at(-1);
    if (window !== undefined && window.to === null) window.to = new Date();
    log(`kube-apiserver ready at ${server} in ${readyMs.toFixed(0)} ms (pid ${apiserver.pid})`);
    return readyMs;
  };
  const etcdctl = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(tools.etcdctl, [`--endpoints=${etcdEndpoint}`, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      child.once("error", reject);
      child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`etcdctl ${args.join(" ")}: exit ${code}: ${out.trim()}`))));
    });

  const stop = async (): Promise<void> => {
    await stopChild(apiserver); // first, so it does not log etcd's absence
    await stopChild(etcd);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    etcd = startLogged(tools.etcd, [
      "--name=lab", `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdEndpoint}`, `--advertise-client-urls=${etcdEndpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=lab=http://127.0.0.1:${peerPort}`, "--initial-cluster-state=new",
      "--unsafe-no-fsync", "--log-level=warn",
    ], etcdLog);
    const started = performance.now();
    await waitUntil("etcd", etcd, etcdLog, async () => (await fetch(`${etcdEndpoint}/health`)).ok, 60_000);
    log(`etcd ready at ${etcdEndpoint} in ${(performance.now() - started).toFixed(0)} ms (pid ${etcd.pid})`);
    await startApiserver();
  } catch (error) {
    await stopChild(apiserver);
    await stopChild(etcd);
    throw error;
  }

  return {
    server, port, pki, adminKubeconfig, etcdEndpoint, apiserverLog,
    get running() {
      return apiserver !== null && apiserver.exitCode === null && apiserver.signalCode === null;
    },
    notReady,
    async stopApiserver() {
      notReady.push({ from: new Date(), to: null });
      await stopChild(apiserver);
      log("kube-apiserver stopped");
    },
    startApiserver,
    async compact() {
      const status = JSON.parse(await etcdctl(["endpoint", "status", "-w", "json"])) as Array<{ Status: { header: { revision: number } } }>;
      const revision = status[0]?.Status.header.revision;
      if (revision === undefined) throw new Error("etcdctl endpoint status: no revision");
      await etcdctl(["compact", String(revision)]);
      log(`etcd compacted at revision ${revision}`);
      return revision;
    },
    async audit() {
      const text = await readFile(auditLog, "utf8").catch(() => "");
      return text.split("\n").filter((line) => line !== "").map((line) => {
        const event = JSON.parse(line) as {
          verb: string; stage: string; requestReceivedTimestamp: string; user?: { username?: string };
          objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string }; responseStatus?: { code?: number };
        };
        // as RBAC names it: "bandwidthbudgets/status" for the status subresource
        const { resource, subresource } = event.objectRef ?? {};
        return {
          verb: event.verb, user: event.user?.username ?? "", resource: resource && subresource ? `${resource}/${subresource}` : resource, namespace: event.objectRef?.namespace, name: event.objectRef?.name,
          code: event.responseStatus?.code, stage: event.stage, requestReceivedTimestamp: event.requestReceivedTimestamp,
        };
      }).filter((record) => record.stage === "ResponseComplete" || record.stage === "Panic");
    },
    stop,
  };
}
