/**
 * The real helm binary (.tools/helm, installed by scripts/install-helm.sh) driven from tests: render the chart
 * with given values and parse the output into Kubernetes objects with the `yaml` package.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { REPO_DIR } from "../repository.js";
import { fileMissing } from "../../src/testing/prerequisites.js";

/** The repository root, with a trailing slash. */
export const REPO_ROOT = `${REPO_DIR}/`;
export const HELM = join(REPO_ROOT, ".tools", "helm");
export const CHART_DIR = join(REPO_ROOT, "deploy", "helm", "pacer");

export const helmMissing = (): string | null =>
  fileMissing(HELM, "the helm binary: run scripts/setup.sh, which runs scripts/install-helm.sh");

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], input?: string): CommandResult {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`run ${command}: ${result.error.message}`, { cause: result.error });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export const helm = (args: string[], input?: string): CommandResult => run(HELM, args, input);

/** A Kubernetes object as parsed; tests narrow it with the shapes below. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`parse helm output: ${document.errors[0]?.message}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

export interface RenderOptions {
  chart?: string;
  kubeVersion?: string;
  namespace?: string;
  /** Also the chart's crds/ (what `helm install` creates first; `helm template` leaves them out by default). */
  includeCrds?: boolean;
}

/** `helm template pacer <chart> -n kube-system -f -` with `values` as the values file; throws on failure. */
export function renderChart(values: object = {}, options: RenderOptions = {}): KubeObject[] {
  const args = ["template", "pacer", options.chart ?? CHART_DIR, "--namespace", options.namespace ?? "kube-system", "-f", "-"];
  if (options.kubeVersion) args.push("--kube-version", options.kubeVersion);
  if (options.includeCrds) args.push("--include-crds");
  const result = helm(args, stringify(values));
  if (result.status !== 0) throw new Error(`helm template: exit ${result.status}: ${result.stderr.trim()}`);
  return parseObjects(result.stdout);
}

export function only(objects: KubeObject[], kind: string): KubeObject {
  const matches = objects.filter((object) => object.kind === kind);
  if (matches.length !== 1) throw new Error(`expected exactly one ${kind}, found ${matches.length}`);
  return matches[0] as KubeObject;
}

// The parts of a DaemonSet the chart tests read.
export interface Probe {
  httpGet?: { host?: string; path: string; port: number | string; scheme?: string };
  exec?: { command: string[] };
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  mountPropagation?: string;
  readOnly?: boolean;
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: {
    privileged?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  volumeMounts?: VolumeMount[];
}
export interface PodSpec {
  serviceAccountName: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  containers: Container[];
  initContainers?: Container[];
  volumes: Array<{ name: string; hostPath?: { path: string; type?: string }; emptyDir?: object }>;
  tolerations?: Array<Record<string, string>>;
  securityContext?: { appArmorProfile?: { type: string }; seccompProfile?: { type: string } };
}
export interface PodTemplate {
  metadata: { annotations?: Record<string, string> };
  spec: PodSpec;
}

export function podTemplateOf(objects: KubeObject[]): PodTemplate {
  const daemonSet = only(objects, "DaemonSet") as KubeObject & { spec: { template: PodTemplate } };
  return daemonSet.spec.template;
}

export function containerNamed(containers: Container[] | undefined, name: string): Container {
  const container = containers?.find((candidate) => candidate.name === name);
  if (!container) throw new Error(`no container named ${name}`);
  return container;
}
