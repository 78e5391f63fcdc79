/**
 * The light API connection over real TLS (a local https server with a self-signed certificate made by openssl):
 * CA from the kubeconfig, bearer token, client certificate, a relative certificate path, an untrusted server
 * refused, client-node's Watch streaming over the same connection, the in-cluster service account with a
 * rotated token, and the fallback to client-node's full KubeConfig for an exec plugin.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeConfig } from "@kubernetes/client-node";
import { Watch } from "@kubernetes/client-node/dist/watch.js";
import { commandMissing, requirePrerequisites } from "../../testing/prerequisites.js";
import { SpecConnection, type ApiConnection } from "./connection.js";
import { inClusterSpec, loadApiConnection } from "./load.js";
import { KubeApiError, kubeRequest } from "./request.js";

interface SeenRequest {
  url: string;
  authorization: string | undefined;
  clientCertificateSubject: string | undefined;
}

const podList = { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "9" }, items: [{ metadata: { name: "p", namespace: "n" } }] };

describe("API connection over TLS", { skip: requirePrerequisites([commandMissing("openssl", "openssl")]) }, () => {
  let directory: string;
  let server: Server;
  let serverUrl: string;
  let certificate: Buffer;
  const seen: SeenRequest[] = [];

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), `pk2-tls-${process.pid}-`));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=pk2-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", join(directory, "key.pem"), "-out", join(directory, "cert.pem"),
    ], { stdio: "ignore" });
    certificate = await readFile(join(directory, "cert.pem"));
    const key = await readFile(join(directory, "key.pem"));
    // the same self-signed certificate serves as the server's, the CA and the client's
    server = createServer({ cert: certificate, key, ca: certificate, requestCert: true, rejectUnauthorized: false }, (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      seen.push({ url: request.url ?? "", authorization: request.headers.authorization, clientCertificateSubject: peer?.subject?.CN === undefined ? undefined : String(peer.subject.CN) });
      if (request.url?.includes("watch=true")) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "w", resourceVersion: "10" } } })}\n`);
      } else if (request.url?.startsWith("/api/v1/pods")) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(podList));
      } else {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ kind: "Status", code: 404, message: "not here" }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const writeKubeconfig = async (name: string, cluster: object, user: object): Promise<string> => {
    const path = join(directory, name);
    await writeFile(path, stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [{ name: "k", cluster: { server: serverUrl, ...cluster } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
    }));
    return path;
  };
  const listPods = (connection: ApiConnection) => kubeRequest<typeof podList>(connection, { method: "GET", path: "/api/v1/pods", query: { fieldSelector: "spec.nodeName=x" } });

  it("kubeconfig with certificate-authority-data and a token: lists over verified TLS", async () => {
    const path = await writeKubeconfig("token.yaml", { "certificate-authority-data": certificate.toString("base64") }, { token: "pk2-token" });
    const connection = await loadApiConnection(path);
    assert.ok(connection instanceof SpecConnection);
    assert.deepEqual(await listPods(connection), podList);
    assert.equal(seen.at(-1)?.authorization, "Bearer pk2-token");
    assert.equal(seen.at(-1)?.url, "/api/v1/pods?fieldSelector=spec.nodeName%3Dx");
    connection.close();
  });

  it("client certificate from files named relative to the kubeconfig; an API error carries status and message", async () => {
    const path = await writeKubeconfig("cert.yaml", { "certificate-authority": "cert.pem" }, { "client-certificate": "cert.pem", "client-key": "key.pem" });
    const connection = await loadApiConnection(path);
    await listPods(connection);
    assert.equal(seen.at(-1)?.clientCertificateSubject, "pk2-test");
    assert.equal(seen.at(-1)?.authorization, undefined);
    await assert.rejects(kubeRequest(connection, { method: "GET", path: "/nothing" }), (error: unknown) =>
      error instanceof KubeApiError && error.statusCode === 404 && /HTTP 404: not here/.test(error.message));
    (connection as SpecConnection).close();
  });

  it("refuses a server its CA does not vouch for", async () => {
    const connection = new SpecConnection({ server: serverUrl, token: "t", source: "test" });
    await assert.rejects(listPods(connection), /self-signed|self signed/);
    connection.close();
  });

  it("client-node's Watch streams over the same connection", async () => {
    const connection = new SpecConnection({ server: serverUrl, ca: certificate, token: "watch-token", source: "test" });
    const events: string[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(connection as unknown as KubeConfig).watch("/api/v1/pods", { fieldSelector: "spec.nodeName=x" }, (phase, object) => {
        events.push(`${phase} ${(object as { metadata: { name: string } }).metadata.name}`);
      }, resolve);
    });
    assert.equal(await ended, null);
    assert.deepEqual(events, ["ADDED w"]);
    assert.match(seen.at(-1)?.url ?? "", /watch=true.*fieldSelector=spec.nodeName%3Dx/);
    assert.equal(seen.at(-1)?.authorization, "Bearer watch-token");
    connection.close();
  });

  it("in-cluster: service-account CA and token; a rotated token is read again after a minute", async () => {
    const accountDir = await mkdtemp(join(directory, "sa-"));
    await writeFile(join(accountDir, "ca.crt"), certificate);
    await writeFile(join(accountDir, "token"), "first\n");
    const { port } = server.address() as AddressInfo;
    let now = 1_000_000;
    const spec = inClusterSpec({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(port) }, accountDir);
    assert.equal(spec.server, serverUrl);
    const connection = new SpecConnection(spec, () => now);
    await listPods(connection);
    assert.equal(seen.at(-1)?.authorization, "Bearer first");
    await writeFile(join(accountDir, "token"), "second\n");
    now += 30_000;
    await listPods(connection);
    assert.equal(seen.at(-1)?.authorization, "Bearer first", "cached within the minute");
    now += 31_000;
    await listPods(connection);
    assert.equal(seen.at(-1)?.authorization, "Bearer second");
    connection.close();
  });

  it("an exec plugin goes to client-node's full KubeConfig, and says so", async () => {
    const path = await writeKubeconfig("exec.yaml", { "certificate-authority-data": certificate.toString("base64") }, {
      exec: { apiVersion: "client.authentication.k8s.io/v1", command: "true" },
    });
    const lines: string[] = [];
    const connection = await loadApiConnection(path, { log: (line) => lines.push(line) });
    assert.equal(connection.constructor.name, "KubeConfig");
    assert.equal(connection.getCurrentCluster()?.server, serverUrl);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /uses user field\(s\) exec: loading @kubernetes\/client-node's full KubeConfig/);
  });
});
