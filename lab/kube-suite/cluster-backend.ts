/**
 * The shared suites' REAL backend: kube-apiserver and etcd on loopback (lab/cluster/control-plane.ts, the Pod
 * watch cache off so compaction shows at once), pacer's chart applied (its ServiceAccount, ClusterRole and
 * binding), and the code under test connecting as that ServiceAccount (a TokenRequest token) through a TCP
 * relay. The test drives the cluster as its admin with kubectl, so it can change Pods while the client is cut
 * off; RBAC changes are real ClusterRole edits; Event writes are read from the server's audit log.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { BudgetObjectWithStatus } from "../../src/budgets/budget-status.js";
import { applyChart, asManifest, crdsEstablished, crdsOf, renderPacerChart, serviceAccountToken, withoutVerb, type RenderedChart } from "../cluster/chart.js";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.js";
import { Kubectl } from "../cluster/kubectl.js";
import { startTcpRelay, type TcpRelay } from "../cluster/tcp-relay.js";
import { clusterTools } from "../cluster/tools.js";
import type { KubeSuiteBackend, SuiteEvent, SuitePod } from "./backend.js";

export async function startClusterBackend(): Promise<KubeSuiteBackend> {
  const tools = clusterTools();
  const dir = await mkdtemp(join(tmpdir(), `pk-${process.pid}-cluster-`));
  const plane: ControlPlane = await startControlPlane({ dir, watchCacheOffForPods: true, tools });
  let relay: TcpRelay | undefined;
  try {
    const kubectl = new Kubectl(plane.adminKubeconfig, tools.kubectl);
    const namespace = `pk-${process.pid}`;
    await kubectl.run(["create", "namespace", namespace]);
    const chart: RenderedChart = renderPacerChart({ kubeVersion: tools.kubernetesVersion });
    await applyChart(kubectl, chart);
    relay = await startTcpRelay({ host: "127.0.0.1", port: plane.port });
    const token = await serviceAccountToken(kubectl, chart);
    const kubeconfig = join(dir, "pacer-agent.kubeconfig");
    await writeFile(kubeconfig, stringify({
      apiVersion: "v1", kind: "Config", "current-context": "agent",
      clusters: [{ name: "lab", cluster: { server: `https://127.0.0.1:${relay.port}`, "certificate-authority": plane.pki.caCert } }],
      users: [{ name: "pacer", user: { token } }],
      contexts: [{ name: "agent", context: { cluster: "lab", user: "pacer" } }],
    }), { mode: 0o600 });
    const account = `system:serviceaccount:${chart.namespace}:${chart.serviceAccount}`;
    let role = chart.clusterRole;
    const cut = relay;
    // A client's resourceVersion must fall behind the compaction (etcd keeps the compacted revision itself):
    // two changes it does not watch move etcd on first.
    let churn = 0;
    const churnAndCompact = async () => {
      const name = `churn-${(churn += 1)}`;
      await kubectl.run(["-n", namespace, "create", "configmap", name, "--from-literal=a=b"]);
      await kubectl.run(["-n", namespace, "delete", "configmap", name]);
      await plane.compact();
    };

    return {
      name: `kube-apiserver ${tools.kubernetesVersion} with etcd`,
      kubeconfig,
      namespace,
      releaseNamespace: chart.namespace,
      async createPod(pod: SuitePod) {
        await kubectl.apply(JSON.stringify({
          apiVersion: "v1", kind: "Pod",
          metadata: { name: pod.name, namespace, annotations: pod.annotations ?? {}, labels: pod.labels ?? {} },
          spec: { nodeName: pod.nodeName, containers: [{ name: "c", image: "pause" }] },
        }));
        const status = { status: { phase: "Running", podIP: "10.0.0.1", podIPs: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }] } };
        await kubectl.run(["-n", namespace, "patch", "pod", pod.name, "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]);
      },
      async setAnnotations(name, annotations) {
        const current = await kubectl.json<{ metadata: { annotations?: Record<string, string> } }>(["-n", namespace, "get", "pod", name]);
        const patch: Record<string, string | null> = {};
        for (const key of Object.keys(current.metadata.annotations ?? {})) patch[key] = null;
        Object.assign(patch, annotations);
        await kubectl.run(["-n", namespace, "patch", "pod", name, "--type=merge", "-p", JSON.stringify({ metadata: { annotations: patch } })]);
      },
      async setLabels(name, labels) {
        const current = await kubectl.json<{ metadata: { labels?: Record<string, string> } }>(["-n", namespace, "get", "pod", name]);
        const patch: Record<string, string | null> = {};
        for (const key of Object.keys(current.metadata.labels ?? {})) patch[key] = null;
        Object.assign(patch, labels);
        await kubectl.run(["-n", namespace, "patch", "pod", name, "--type=merge", "-p", JSON.stringify({ metadata: { labels: patch } })]);
      },
      async deletePod(name) {
        await kubectl.run(["-n", namespace, "delete", "pod", name, "--grace-period=0", "--force"], { allowFailure: false });
      },
      async expireWatches() {
        await churnAndCompact();
        cut.dropConnections();
      },
      async cutOff() {
        cut.cut();
      },
      async heal() {
        cut.heal();
      },
      compact: churnAndCompact,
      async dropConnections() {
        cut.dropConnections();
      },
      async setForbidden(verb, resource, forbidden) {
        role = forbidden ? withoutVerb(role, resource, verb) : chart.clusterRole;
        await kubectl.apply(asManifest([role]));
      },
      async events(podName) {
        const list = await kubectl.json<{ items: Array<SuiteEvent & { metadata: { name: string; namespace: string } }> }>([
          "-n", namespace, "get", "events", `--field-selector=involvedObject.name=${podName}`,
        ]);
        return list.items.map((event) => ({ ...event, name: event.metadata.name, namespace: event.metadata.namespace }));
      },
      async deleteEvent(name) {
        await kubectl.run(["-n", namespace, "delete", "event", name]);
      },
      async createNode(node) {
        await kubectl.apply(JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: node.name }, spec: { podCIDR: node.podCIDRs[0], podCIDRs: node.podCIDRs } }));
        await kubectl.run(["patch", "node", node.name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { addresses: node.addresses } })]);
      },
      async touchNode(name) {
        const heartbeat = { status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "lab", lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } };
        await kubectl.run(["patch", "node", name, "--subresource=status", "--type=merge", "-p", JSON.stringify(heartbeat)]);
      },
      async deleteNode(name) {
        await kubectl.run(["delete", "node", name, "--ignore-not-found"]);
      },
      async applyBudget(name, spec) {
        await kubectl.apply(JSON.stringify({ apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget", metadata: { name, namespace }, spec }));
      },
      async deleteBudget(name) {
        await kubectl.run(["-n", namespace, "delete", "bandwidthbudget", name, "--ignore-not-found"]);
      },
      async budget(name) {
        const found = await kubectl.run(["-n", namespace, "get", "bandwidthbudget", name, "-o", "json", "--ignore-not-found"]);
        return found.stdout.trim() === "" ? null : (JSON.parse(found.stdout) as BudgetObjectWithStatus);
      },
      async setBudgetCrdInstalled(installed) {
        const crds = crdsOf(chart).filter((crd) => crd.metadata.name === "bandwidthbudgets.pacer.dev");
        if (!installed) {
          await kubectl.run(["delete", "crd", "bandwidthbudgets.pacer.dev", "--ignore-not-found", "--wait=true"]);
          return;
        }
        await kubectl.apply(asManifest(crds));
        await crdsEstablished(kubectl, crds);
      },
      async deleteBandwidthNode(name) {
        await kubectl.run(["delete", "bandwidthnode", name, "--ignore-not-found"]);
      },
      async budgetsTable() {
        return (await kubectl.run(["-n", namespace, "get", "bwb"])).stdout;
      },
      async eventWrites(eventName) {
        const records = await plane.audit();
        return records
          .filter((record) => record.user === account && record.resource === "events" && (eventName === undefined || record.name === eventName))
          .filter((record) => record.verb === "create" || record.verb === "patch")
          .map((record) => record.verb);
      },
      async close() {
        await cut.close();
        await plane.stop();
      },
    };
  } catch (error) {
    await relay?.close();
    await plane.stop();
    throw error;
  }
}
