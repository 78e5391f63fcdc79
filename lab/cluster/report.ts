/**
 * bench/results/cluster.json and cluster.md from a cluster run and the image (pure): the JSON in the issue's
 * shape ({kubeApiserverVersion, etcdVersion, kubectlVersion, image: {built, sizeBytes, checkRan}, checks}),
 * the Markdown a table of the same.
 */
import type { ImageReport } from "./image.js";
import type { ClusterRun } from "./in-test-kernel.js";

export function clusterJson(run: ClusterRun, image: ImageReport): object {
  return {
    kubeApiserverVersion: run.kubeApiserverVersion, etcdVersion: run.etcdVersion, kubectlVersion: run.kubectlVersion,
    image: { built: image.built, sizeBytes: image.sizeBytes, checkRan: image.checkRan },
    checks: run.checks.map(({ name, pass, detail }) => ({ name, pass, detail })),
  };
}

const cell = (text: string): string => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export function clusterMarkdown(run: ClusterRun, image: ImageReport, context: string): string {
  const rows = run.checks.map((check) => `| ${check.name} | ${check.pass ? "PASS" : "**FAIL**"} | ${cell(check.detail)} |`);
  const size = image.sizeBytes === null ? "-" : `${image.sizeBytes} bytes (${(image.sizeBytes / 2 ** 20).toFixed(0)} MiB)`;
  return [
    "# pacer against a real Kubernetes control plane",
    "",
    `kube-apiserver ${run.kubeApiserverVersion} (built from the Go module proxy), etcd ${run.etcdVersion} (Debian trixie), kubectl ${run.kubectlVersion}.`,
    "",
    context,
    "",
    "| check | result | what was seen |",
    "|---|---|---|",
    ...rows,
    "",
    "## The image",
    "",
    `Built: ${image.built}; size ${size}; runs: ${image.checkRan}. ${cell(image.detail)}`,
    "",
  ].join("\n");
}
