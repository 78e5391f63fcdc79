/**
 * A connection to the Kubernetes API server without @kubernetes/client-node's KubeConfig (whose module loads the
 * whole generated API: ~45 MB RSS, see bench/results/agent.md). It offers exactly what client-node's Watch
 * (dist/watch.js) calls on its config — getCurrentCluster() and applyToFetchOptions() — plus the same for our
 * plain list and Event requests (src/kube/api/request.ts).
 *
 * Auth it does: bearer token (inline, or a token file re-read at most once a minute so a rotated service-account
 * token is picked up, as client-go's cached token source does), client certificate + key, basic auth; TLS with
 * a CA bundle, insecure-skip-tls-verify and tls-server-name. Everything else (exec plugins, auth providers,
 * proxies) goes to the full client-node KubeConfig (src/kube/api/load.ts).
 */
import { readFile } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";

/** What client-node's Watch and our requests need from a config; client-node's KubeConfig has it too. */
export interface ApiConnection {
  getCurrentCluster(): { server: string } | null;
  /** node-fetch RequestInit: the agent (TLS) and headers (auth) to use. */
  applyToFetchOptions(options: object): Promise<{ agent?: unknown; headers?: unknown }>;
}

export interface ConnectionSpec {
  /** https://host:port (http:// only with insecureSkipTlsVerify, as client-node requires). */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  token?: string;
  tokenFile?: string;
  basic?: { username: string; password: string };
  /** Where the spec came from, for log lines ("in-cluster service account", "kubeconfig /path"). */
  source: string;
}

export class ConnectionError extends Error {
  readonly code = "KUBE_CONNECTION";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const tokenRereadMilliseconds = 60_000;

export class SpecConnection implements ApiConnection {
  private readonly agent: HttpAgent | HttpsAgent;
  private cachedToken: { value: string; readAt: number } | undefined;

  constructor(
    readonly spec: ConnectionSpec,
    private readonly now: () => number = Date.now,
  ) {
    if (spec.server.startsWith("http:")) {
      if (!spec.insecureSkipTlsVerify) {
        throw new ConnectionError(`${spec.source}: server ${spec.server} is plain http; use https (or set insecure-skip-tls-verify)`);
      }
      this.agent = new HttpAgent({ keepAlive: true });
    } else {
      this.agent = new HttpsAgent({
        keepAlive: true,
        ca: spec.ca,
        cert: spec.cert,
        key: spec.key,
        rejectUnauthorized: spec.insecureSkipTlsVerify !== true,
        servername: spec.tlsServerName,
      });
    }
  }

  getCurrentCluster(): { server: string } {
    return { server: this.spec.server };
  }

  async applyToFetchOptions(options: object): Promise<{ agent: HttpAgent | HttpsAgent; headers: Record<string, string> }> {
    const headers: Record<string, string> = {};
    const token = await this.token();
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (this.spec.basic) {
      const { username, password } = this.spec.basic;
      headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
    return { ...options, agent: this.agent, headers };
  }

  /** Closes idle keep-alive sockets (open watches are aborted by their owners). */
  close(): void {
    this.agent.destroy();
  }

  private async token(): Promise<string | undefined> {
    const { tokenFile } = this.spec;
    if (tokenFile === undefined) return this.spec.token;
    const now = this.now();
    if (this.cachedToken && now - this.cachedToken.readAt < tokenRereadMilliseconds) return this.cachedToken.value;
    try {
      this.cachedToken = { value: (await readFile(tokenFile, "utf8")).trim(), readAt: now };
    } catch (error) {
      if (!this.cachedToken) throw new ConnectionError(`read token file ${tokenFile}: ${(error as Error).message}`, { cause: error });
      // keep the last token; the next request tries the file again
    }
    return this.cachedToken.value;
  }
}

/** Frees a connection's idle sockets, if it is ours (client-node's KubeConfig makes an agent per request). */
export function closeConnection(connection: ApiConnection | undefined): void {
  if (connection instanceof SpecConnection) connection.close();
}
