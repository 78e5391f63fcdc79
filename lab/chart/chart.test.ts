/**
 * The Helm chart (deploy/helm/pacer), checked with the real helm binary: lint, then `helm template` output
 * parsed and asserted — least-privilege RBAC, privileges, mounts, probes, values → agent flags — and the
 * rendered flags fed to the agent's own configuration parser, so chart and agent cannot disagree.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/config.js";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { CHART_DIR, containerNamed, helm, helmMissing, only, podTemplateOf, renderChart, type Container, type KubeObject } from "./helm-cli.js";

const agentOf = (values: object = {}, kubeVersion?: string): Container =>
  containerNamed(podTemplateOf(renderChart(values, kubeVersion ? { kubeVersion } : {})).spec.containers, "pacer");

const argsOf = (values: object = {}): string[] => agentOf(values).args ?? [];

describe("helm chart deploy/helm/pacer", { skip: requirePrerequisites([helmMissing()]) }, () => {
  it("passes helm lint --strict", () => {
    const result = helm(["lint", "--strict", CHART_DIR]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("rejects an unknown value, naming it (values.schema.json), as the agent rejects unknown keys", () => {
    const result = helm(["template", "pacer", CHART_DIR, "-f", "-"], "bandwidthManager:\n  enabeld: true\n");
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /enabeld/);
  });

  it("renders exactly a ServiceAccount, a ClusterRole, a Role (the allocator's Lease), their bindings and the DaemonSet, in the release namespace", () => {
    const objects = renderChart({}, { namespace: "kube-system" });
    assert.deepEqual(objects.map((object) => object.kind).sort(), ["ClusterRole", "ClusterRoleBinding", "DaemonSet", "Role", "RoleBinding", "ServiceAccount"]);
    assert.equal(only(objects, "Role").metadata.namespace, "kube-system");
    assert.equal(only(objects, "RoleBinding").metadata.namespace, "kube-system");
    assert.equal(only(objects, "DaemonSet").metadata.name, "pacer", "`kubectl exec ds/pacer` must work");
    assert.equal(only(objects, "DaemonSet").metadata.namespace, "kube-system");
    assert.equal(only(objects, "ServiceAccount").metadata.namespace, "kube-system");
  });

  it("grants exactly list/watch on pods, nodes, servicecidrs and bandwidthbudgets, create/patch on events, patch on bandwidthbudgets/status, get/list/watch/create/patch on bandwidthnodes, patch on bandwidthnodes/status; no wildcard", () => {
    const objects = renderChart();
    const role = only(objects, "ClusterRole") as { rules?: Array<Record<string, string[]>> };
    const granted = (role.rules ?? []).map((rule) => ({ ...rule, verbs: [...(rule.verbs ?? [])].sort() }));
    assert.deepEqual(granted, [
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
      { apiGroups: ["networking.k8s.io"], resources: ["servicecidrs"], verbs: ["list", "watch"] },
      { apiGroups: ["pacer.dev"], resources: ["bandwidthbudgets"], verbs: ["list", "watch"] },
      { apiGroups: ["pacer.dev"], resources: ["bandwidthbudgets/status"], verbs: ["patch"] },
      { apiGroups: ["pacer.dev"], resources: ["bandwidthnodes"], verbs: ["create", "get", "list", "patch", "watch"] },
      { apiGroups: ["pacer.dev"], resources: ["bandwidthnodes/status"], verbs: ["patch"] },
    ]);
    assert.doesNotMatch(JSON.stringify(role.rules), /\*/);
    const binding = only(objects, "ClusterRoleBinding") as unknown as {
      roleRef: { kind: string; name: string };
      subjects: Array<{ kind: string; name: string; namespace: string }>;
    };
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pacer" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "pacer", namespace: "kube-system" }]);
    assert.equal(podTemplateOf(objects).spec.serviceAccountName, "pacer");
  });

  it("grants the allocator's Lease in the release namespace only: create, and get/update of pacer-allocator by name", () => {
    const objects = renderChart({}, { namespace: "kube-system" });
    const role = only(objects, "Role") as { rules?: Array<Record<string, string[]>> };
    assert.deepEqual((role.rules ?? []).map((rule) => ({ ...rule, verbs: [...(rule.verbs ?? [])].sort() })), [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["pacer-allocator"], verbs: ["get", "update"] },
    ]);
    const binding = only(objects, "RoleBinding") as unknown as { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string; namespace: string }> };
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pacer" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "pacer", namespace: "kube-system" }]);
  });

  it("renders the BandwidthBudget CRD with --include-crds (what helm install creates first), and only then", () => {
    const crds = renderChart({}, { includeCrds: true }).filter((object) => object.kind === "CustomResourceDefinition");
    const budget = crds.find((object) => object.metadata.name === "bandwidthbudgets.pacer.dev") as
      | (KubeObject & { spec: { versions: Array<{ additionalPrinterColumns: Array<{ name: string; jsonPath: string }> }> } })
      | undefined;
    assert.ok(budget, `CRDs rendered: ${crds.map((object) => object.metadata.name).join(", ")}`);
    assert.deepEqual(budget.spec.versions[0]?.additionalPrinterColumns.map((column) => `${column.name} ${column.jsonPath}`), [
      "Egress .spec.egress", "Ingress .spec.ingress", "Scope .spec.scope", "Mode .spec.mode",
      'Accepted .status.conditions[?(@.type=="Accepted")].status', "Demand .status.egress.demand", "Allocated .status.egress.allocated",
      "Nodes .status.egress.nodes", "Age .metadata.creationTimestamp",
    ]);
    assert.ok(!renderChart().some((object) => object.kind === "CustomResourceDefinition"), "not among the templates: helm upgrade never deletes a CRD");
  });

  it("runs in the node's network namespace without hostPID, on every node (tolerates every taint)", () => {
    const { spec } = podTemplateOf(renderChart());
    assert.equal(spec.hostNetwork, true);
    assert.equal(spec.hostPID, false);
    assert.deepEqual(spec.tolerations, [{ operator: "Exists" }]);
    assert.deepEqual(spec.securityContext?.seccompProfile, { type: "RuntimeDefault" });
  });

  it("gives the agent only the datapath's capabilities, not privileged; privileged: true is the documented option", () => {
    const { securityContext } = agentOf();
    assert.equal(securityContext?.privileged, undefined);
    assert.deepEqual(securityContext?.capabilities?.drop, ["ALL"]);
    assert.deepEqual([...(securityContext?.capabilities?.add ?? [])].sort(), ["BPF", "NET_ADMIN", "PERFMON", "SYS_ADMIN", "SYS_RESOURCE"]);
    assert.equal(securityContext?.runAsUser, 0, "capabilities apply to root only");
    assert.equal(securityContext?.readOnlyRootFilesystem, true);
    assert.notEqual(securityContext?.allowPrivilegeEscalation, false, "the API rejects false with CAP_SYS_ADMIN");

    assert.deepEqual([...(agentOf({ bpfCapabilities: false }).securityContext?.capabilities?.add ?? [])].sort(), ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"]);
    const privileged = agentOf({ privileged: true });
    assert.equal(privileged.securityContext?.privileged, true);
    assert.equal(privileged.securityContext?.capabilities, undefined);
  });

  it("mounts bpffs, the runtime's netns, /proc, cgroup and /run/pacer with the right propagation", () => {
    const { spec } = podTemplateOf(renderChart());
    const agent = containerNamed(spec.containers, "pacer");
    const mounts = new Map((agent.volumeMounts ?? []).map((mount) => [mount.mountPath, mount]));
    const hostPathOf = (volumeName: string | undefined): string | undefined =>
      spec.volumes.find((volume) => volume.name === volumeName)?.hostPath?.path;
    const expected: Array<[string, string, string | undefined, boolean | undefined]> = [
      // container path, host path, propagation, read-only
      ["/sys/fs/bpf", "/sys/fs/bpf", "HostToContainer", undefined],
      ["/var/run/netns", "/var/run/netns", "HostToContainer", undefined], // `ip netns add` for the kernel probe
      ["/host/proc", "/proc", undefined, undefined],
      ["/sys/fs/cgroup", "/sys/fs/cgroup", "HostToContainer", true],
      ["/run/pacer", "/run/pacer", undefined, undefined],
    ];
    for (const [mountPath, hostPath, propagation, readOnly] of expected) {
      const mount = mounts.get(mountPath);
      assert.ok(mount, `agent mounts ${mountPath}`);
      assert.equal(hostPathOf(mount.name), hostPath, `${mountPath} comes from the node's ${hostPath}`);
      assert.equal(mount.mountPropagation, propagation, `${mountPath} propagation`);
      assert.equal(mount.readOnly, readOnly, `${mountPath} read-only`);
    }
    // Kubernetes allows Bidirectional only in privileged containers: the short init container mounts bpffs.
    const init = containerNamed(spec.initContainers, "mount-bpffs");
    assert.equal(init.securityContext?.privileged, true);
    assert.deepEqual(init.volumeMounts, [{ name: "bpffs", mountPath: "/sys/fs/bpf", mountPropagation: "Bidirectional" }]);
    const privilegedAgent = agentOf({ privileged: true });
    assert.equal(privilegedAgent.volumeMounts?.find((mount) => mount.mountPath === "/sys/fs/bpf")?.mountPropagation, "Bidirectional");
    assert.equal(podTemplateOf(renderChart({ mountBpffs: false })).spec.initContainers, undefined);
  });

  it("probes /healthz and /readyz over HTTP on 127.0.0.1 at the metrics port; the status socket when metrics are off", () => {
    const agent = agentOf({ metrics: { port: 9911 } });
    assert.deepEqual(agent.livenessProbe?.httpGet, { host: "127.0.0.1", path: "/healthz", port: 9911, scheme: "HTTP" });
    assert.deepEqual(agent.readinessProbe?.httpGet, { host: "127.0.0.1", path: "/readyz", port: 9911, scheme: "HTTP" });
    assert.deepEqual(agent.ports, [{ name: "metrics", containerPort: 9911, protocol: "TCP" }]);
    assert.ok(agent.args?.includes("--metrics-address=127.0.0.1:9911"));

    const withoutMetrics = agentOf({ metrics: { enabled: false } });
    assert.ok(withoutMetrics.args?.includes("--metrics-address="), "an empty address disables the server");
    assert.equal(withoutMetrics.ports, undefined);
    assert.equal(withoutMetrics.livenessProbe?.httpGet, undefined);
    assert.match(withoutMetrics.livenessProbe?.exec?.command.join(" ") ?? "", /pacer status/);
  });

  it("takes NODE_NAME from the downward API (spec.nodeName)", () => {
    const nodeName = agentOf().env?.find((variable) => variable.name === "NODE_NAME");
    assert.deepEqual(nodeName?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
  });

  it("points per-netns sysctls (bbr) at the host's /proc, which is mounted read-write at /host/proc", () => {
    const procRoot = agentOf().env?.find((variable) => variable.name === "PACER_PROC_ROOT");
    assert.equal(procRoot?.value, "/host/proc");
    assert.ok(agentOf().volumeMounts?.some((mount) => mount.mountPath === "/host/proc" && mount.readOnly !== true));
  });

  it("turns values into the agent's flags", () => {
    const defaults = argsOf();
    assert.equal(agentOf().command?.join(" "), "pacer");
    assert.equal(defaults[0], "agent");
    assert.ok(defaults.includes("--enabled=true"));
    assert.ok(!defaults.includes("--bbr"), "BBR is off by default");
    assert.ok(!defaults.some((arg) => arg.startsWith("--flow-isolation")), "flow isolation is on by default (the agent's default)");
    assert.ok(!defaults.some((arg) => arg.startsWith("--devices")), "no --devices: the agent finds the default-route devices");
    assert.ok(defaults.includes("--horizon=2s"));

    assert.ok(argsOf({ bandwidthManager: { enabled: false } }).includes("--enabled=false"));
    assert.ok(argsOf({ bandwidthManager: { bbr: true } }).includes("--bbr"));
    assert.ok(argsOf({ bandwidthManager: { flowIsolation: false } }).includes("--flow-isolation=false"));
    assert.ok(argsOf({ devices: ["eth0", "eth1"] }).includes("--devices=eth0,eth1"));
    assert.ok(!defaults.some((arg) => arg.startsWith("--internal-cidrs")), "no --internal-cidrs: what the API says is inside");
    assert.ok(argsOf({ internalCidrs: ["10.96.0.0/12", "fd00::/8"] }).includes("--internal-cidrs=10.96.0.0/12,fd00::/8"));
    assert.ok(argsOf({ bandwidthManager: { horizon: "500ms" } }).includes("--horizon=500ms"));
    assert.deepEqual(argsOf({ extraArgs: ["--resync-interval=30s"] }).slice(-1), ["--resync-interval=30s"]);
  });

  it("renders flags the agent's configuration parser accepts, with the values they came from", () => {
    const args = argsOf({ bandwidthManager: { enabled: false, bbr: true, flowIsolation: false, horizon: "1500ms" }, devices: ["eth0", "eth1"], internalCidrs: ["10.96.0.0/12", "fd00::/8"] });
    const config = loadConfig({ args: args.slice(1), env: { NODE_NAME: "node-a" } });
    assert.equal(config.enabled, false);
    assert.equal(config.bbr, true);
    assert.equal(config.flowIsolation, false);
    assert.equal(config.horizonMs, 1500);
    assert.deepEqual(config.devices, ["eth0", "eth1"]);
    assert.deepEqual(config.internalCidrs, ["10.96.0.0/12", "fd00::/8"]);
    assert.equal(config.nodeName, "node-a");
    assert.equal(config.metricsAddress, "127.0.0.1:9090");
    assert.equal(config.socketPath, "/run/pacer/pacer.sock", "`kubectl exec ds/pacer -- pacer status` finds the default socket");
    assert.equal(config.netnsDir, "/var/run/netns");
    assert.equal(config.bpffsDir, "/sys/fs/bpf/pacer");

    const defaults = loadConfig({ args: argsOf().slice(1), env: {} });
    assert.equal(defaults.enabled, true);
    assert.equal(defaults.bbr, false);
    assert.deepEqual(defaults.devices, []);
    assert.equal(loadConfig({ args: argsOf({ metrics: { enabled: false } }).slice(1), env: {} }).metricsAddress, "");
  });

  it("runs unconfined by AppArmor: the 1.30+ field, or the annotation before 1.30", () => {
    const current = podTemplateOf(renderChart({}, { kubeVersion: "1.30.0" }));
    assert.deepEqual(current.spec.securityContext?.appArmorProfile, { type: "Unconfined" });
    assert.equal(current.metadata.annotations, undefined);
    const older = podTemplateOf(renderChart({}, { kubeVersion: "1.29.0" }));
    assert.equal(older.spec.securityContext?.appArmorProfile, undefined);
    assert.equal(older.metadata.annotations?.["container.apparmor.security.beta.kubernetes.io/pacer"], "unconfined");
  });
});
