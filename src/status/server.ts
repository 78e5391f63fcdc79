/**
 * The status API: HTTP over a Unix socket (mode 0600: the socket is the agent's, root only), serving
 * GET /v1/status, /v1/limits, /v1/budgets and /v1/ranges as JSON. Start-up creates the socket's directory, replaces a stale
 * socket left by a crashed agent, and refuses to steal the socket of an agent that is still running.
 */
import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { dirname } from "node:path";
import type { BudgetsReport, LimitsReport, RangesReport, StatusReport } from "./api.js";

export class StatusServerError extends Error {
  constructor(
    readonly code: "SOCKET_IN_USE" | "SOCKET_PATH_TAKEN" | "LISTEN_FAILED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StatusServerError";
  }
}

export interface StatusServerOptions {
  socketPath: string;
  status(): StatusReport;
  limits(): LimitsReport;
  /** Default: none (an agent without budgets or ranges, as in tests). */
  budgets?(): BudgetsReport;
  ranges?(): RangesReport;
}

export interface StatusServer {
  close(): Promise<void>;
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { socketPath } = options;
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  await removeStaleSocket(socketPath);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://pacer");
    const routes: Record<string, () => unknown> = {
      "/v1/status": options.status,
      "/v1/limits": options.limits,
      "/v1/budgets": options.budgets ?? (() => ({ budgets: [], problems: [] })),
      "/v1/ranges": options.ranges ?? (() => ({ ranges: [], error: null })),
    };
    const route = request.method === "GET" && Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    const body = route === undefined ? null : route();
    if (body === null) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: `no such endpoint: ${request.method} ${url.pathname} (try GET ${Object.keys(routes).join(", ")})` }));
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  });
  await listen(server, socketPath);
  await chmod(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => unlink(socketPath).catch(() => {})),
  };
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error) =>
      reject(new StatusServerError("LISTEN_FAILED", `listen on ${socketPath}: ${error.message}`, { cause: error })),
    );
    // Created 0600 from the start: no window where another user could connect before chmod.
    const previousMask = process.umask(0o177);
    try {
      server.listen(socketPath, () => resolve());
    } finally {
      process.umask(previousMask);
    }
  });
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  const info = await lstat(socketPath).catch(() => null);
  if (!info) return;
  if (!info.isSocket()) {
    throw new StatusServerError("SOCKET_PATH_TAKEN", `${socketPath} exists and is not a socket: remove it or choose another --socket`);
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) {
    throw new StatusServerError("SOCKET_IN_USE", `another pacer agent is serving ${socketPath}: stop it first, or start this one with another --socket`);
  }
  await unlink(socketPath);
}
