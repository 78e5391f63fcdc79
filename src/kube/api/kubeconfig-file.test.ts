/**
 * kubeconfig → ConnectionSpec (pure): the current context's cluster and user, inline data decoded, what is
 * unsupported named, a missing context said; and the loading order of loadApiConnection without a path.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ConnectionError, SpecConnection } from "./connection.js";
import { kubeconfigToSpec } from "./kubeconfig-file.js";
import { loadApiConnection } from "./load.js";

const kubeconfig = (cluster: object, user: object, currentContext = "b") => ({
  "current-context": currentContext,
  clusters: [
    { name: "one", cluster: { server: "https://one.example:6443" } },
    { name: "two", cluster: { server: "https://two.example:6443/", ...cluster } },
  ],
  users: [{ name: "me", user }],
  contexts: [
    { name: "a", context: { cluster: "one", user: "me" } },
    { name: "b", context: { cluster: "two", user: "me" } },
  ],
});

describe("kubeconfig reading", () => {
  it("takes the current context's cluster and user, decodes inline data, resolves a relative tokenFile", () => {
    const reading = kubeconfigToSpec(
      kubeconfig({ "certificate-authority-data": Buffer.from("CA").toString("base64"), "tls-server-name": "api" }, { token: "t", tokenFile: "tok" }),
      "/etc/pacer/kubeconfig",
    );
    assert.ok("spec" in reading);
    assert.equal(reading.spec.server, "https://two.example:6443");
    assert.equal(reading.spec.ca?.toString(), "CA");
    assert.equal(reading.spec.tlsServerName, "api");
    assert.equal(reading.spec.token, "t");
    assert.equal(reading.spec.tokenFile, "/etc/pacer/tok");
    assert.equal(reading.spec.insecureSkipTlsVerify, false);
  });

  it("names what it leaves to client-node: auth providers, exec plugins, proxies", () => {
    assert.deepEqual(kubeconfigToSpec(kubeconfig({}, { "auth-provider": { name: "oidc" } }), "k"), { unsupported: "user field(s) auth-provider" });
    assert.deepEqual(kubeconfigToSpec(kubeconfig({ "proxy-url": "http://proxy:3128" }, { token: "t" }), "k"), { unsupported: "cluster field(s) proxy-url" });
  });

  it("says which context is missing", () => {
    assert.throws(() => kubeconfigToSpec(kubeconfig({}, {}, "nope"), "k"), (error: unknown) =>
      error instanceof ConnectionError && /no context named "nope"/.test(error.message));
  });

  it("without a path: in a Pod the service account, else $KUBECONFIG, else ~/.kube/config", async () => {
    const home = await mkdtemp(join(tmpdir(), `pk2-home-${process.pid}-`));
    try {
      await mkdir(join(home, ".kube"));
      await writeFile(join(home, ".kube", "config"), stringify(kubeconfig({}, { token: "home" })));
      await writeFile(join(home, "other"), stringify(kubeconfig({}, { token: "env" }, "a")));
      const fromHome = await loadApiConnection("", { env: { HOME: home } });
      assert.equal((fromHome as SpecConnection).spec.token, "home");
      const fromEnv = await loadApiConnection(undefined, { env: { HOME: home, KUBECONFIG: join(home, "other") } });
      assert.equal(fromEnv.getCurrentCluster()?.server, "https://one.example:6443");
      const inPod = await loadApiConnection("", { env: { HOME: home, KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: home });
      assert.equal(inPod.getCurrentCluster()?.server, "https://[fd00::1]:443");
      for (const connection of [fromHome, fromEnv, inPod]) (connection as SpecConnection).close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
