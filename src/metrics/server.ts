/**
 * Serves /metrics (Prometheus text), /healthz (the process answers) and /readyz (the first Pod sync was
 * reconciled) on metricsAddress ("host:port", "[v6]:port" or ":port").
 */
import { createServer } from "node:http";
import type { Registry } from "prom-client";

export class MetricsAddressError extends Error {
  readonly code = "INVALID_METRICS_ADDRESS";
  constructor(address: string) {
    super(`metricsAddress "${address}" is not host:port (e.g. "127.0.0.1:9090" or ":9090"); use "" to disable metrics`);
    this.name = "MetricsAddressError";
  }
}

export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new MetricsAddressError(address);
  return { host: match[1] ?? match[2] ?? "", port };
}

export interface MetricsServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: { address: string; registry: Registry; ready(): boolean }): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(options.address);
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://pacer").pathname;
    if (path === "/metrics") {
      options.registry.metrics().then(
        (text) => {
          response.writeHead(200, { "content-type": options.registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        },
      );
    } else if (path === "/healthz") {
      response.writeHead(200).end("ok\n");
    } else if (path === "/readyz") {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503).end(ready ? "ok\n" : "waiting for the first Pod sync\n");
    } else {
      response.writeHead(404).end("try /metrics, /healthz or /readyz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host === "" ? undefined : host, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === "object" && bound ? bound.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
