/**
 * The Kubernetes API-server TEST DOUBLE's HTTP face: a real HTTP/1.1 server on 127.0.0.1 (random port) that
 * speaks the slice of the API pacer uses — Pod list/watch (`GET /api/v1/pods`, `GET
 * /api/v1/namespaces/<ns>/pods`, with `fieldSelector`, `resourceVersion`, `watch=1|true`, watch events as
 * newline-delimited JSON over a chunked response) and core/v1 Events (`POST /api/v1/namespaces/<ns>/events`,
 * `PATCH .../events/<name>`, `GET .../events`). Faults on demand: drop every open connection, expire watches
 * with a 410 ERROR event, answer everything with 503 for a while, or refuse one verb with 403.
 * It is a test double, not an API server: no auth, no admission, no persistence.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { Socket } from "node:net";
import { FieldSelectorError, parseFieldSelector, type FieldRequirement } from "./field-selector.js";
import { PodStore, goneStatus, type Watcher, type WatchEvent } from "./pod-store.js";
import { EventStore, EventStoreError } from "./event-store.js";

const logPrefix = "[apiserver test double]";

export interface RequestCounts {
  lists: number;
  watches: number;
  eventWrites: number;
  rejected: number;
}

export interface ApiServerDoubleHttp {
  readonly url: string;
  readonly counts: RequestCounts;
  /** Destroys every open connection (watches included) without a goodbye: a dropped connection. */
  dropConnections(): void;
  /** Compacts the history and sends each open watch a 410 ERROR event, then ends it (forces a relist). */
  expireWatches(): void;
  /** false: every request is answered 503 and open watches are dropped, until set back to true. */
  setAvailable(available: boolean): void;
  /** true: `verb resource` (list/watch pods, create/patch events) is answered 403, as RBAC would; false: allowed. */
  setForbidden(verb: string, resource: string, forbidden: boolean): void;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string): object => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code,
});

function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

export async function startHttpDouble(
  pods: PodStore,
  events: EventStore,
  log: (line: string) => void = () => {},
): Promise<ApiServerDoubleHttp> {
  const sockets = new Set<Socket>();
  const watchResponses = new Map<Watcher, ServerResponse>();
  const counts: RequestCounts = { lists: 0, watches: 0, eventWrites: 0, rejected: 0 };
  let available = true;
  const forbidden = new Set<string>();

  const servePods = (request: IncomingMessage, response: ServerResponse, url: URL, namespace?: string): void => {
    let requirements: FieldRequirement[];
    try {
      requirements = parseFieldSelector(url.searchParams.get("fieldSelector"));
    } catch (error) {
      if (!(error instanceof FieldSelectorError)) throw error;
      sendJson(response, 400, status(400, "BadRequest", error.message));
      return;
    }
    if (namespace !== undefined) requirements.push({ field: "metadata.namespace", operator: "=", value: namespace });
    const watchParam = url.searchParams.get("watch");
    if (watchParam !== "1" && watchParam !== "true") {
      counts.lists += 1;
      const { resourceVersion, items } = pods.list(requirements);
      sendJson(response, 200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion }, items });
      return;
    }
    counts.watches += 1;
    const from = url.searchParams.get("resourceVersion") ?? "";
    response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    response.flushHeaders();
    const watcher: Watcher = {
      requirements,
      send: (event: WatchEvent) => response.write(`${JSON.stringify(event)}\n`),
      end: () => {
        pods.unwatch(watcher);
        watchResponses.delete(watcher);
        response.end();
      },
    };
    request.socket.once("close", () => {
      pods.unwatch(watcher);
      watchResponses.delete(watcher);
    });
    if (!pods.watch(watcher, from)) {
      log(`${logPrefix} watch from resourceVersion ${from}: 410 Gone (history compacted)`);
      response.end();
      return;
    }
    watchResponses.set(watcher, response);
    const timeoutSeconds = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    if (timeoutSeconds > 0) setTimeout(() => watcher.end(), timeoutSeconds * 1000).unref();
  };

  const serveEvents = async (
    request: IncomingMessage,
    response: ServerResponse,
    namespace: string,
    name: string | undefined,
  ): Promise<void> => {
    const contentType = request.headers["content-type"] ?? "";
    try {
      if (request.method === "GET" && name === undefined) {
        const items = events.all().filter((event) => event.metadata.namespace === namespace);
        sendJson(response, 200, { kind: "EventList", apiVersion: "v1", metadata: {}, items });
      } else if (request.method === "POST" && name === undefined) {
        counts.eventWrites += 1;
        sendJson(response, 201, events.create(namespace, await readBody(request), contentType));
      } else if (request.method === "PATCH" && name !== undefined) {
        counts.eventWrites += 1;
        sendJson(response, 200, events.patch(namespace, name, await readBody(request), contentType));
      } else {
        sendJson(response, 405, status(405, "MethodNotAllowed", `${request.method} not supported by the test double`));
      }
    } catch (error) {
      if (error instanceof EventStoreError) sendJson(response, error.statusCode, status(error.statusCode, error.reason, error.message));
      else if (error instanceof SyntaxError) sendJson(response, 400, status(400, "BadRequest", error.message));
      else throw error;
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (!available) {
      counts.rejected += 1;
      sendJson(response, 503, status(503, "ServiceUnavailable", "apiserver test double: unavailable on request"));
      return;
    }
    const path = url.pathname.split("/").filter((segment) => segment !== "");
    const resource = path[2] === "namespaces" ? path[4] : path[2];
    const watching = url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true";
    const verb = { GET: watching ? "watch" : "list", POST: "create", PATCH: "patch" }[request.method ?? ""] ?? "";
    if (forbidden.has(`${verb} ${resource}`)) {
      const message = `${resource} is forbidden: User "test-double" cannot ${verb} resource "${resource}" in API group ""`;
      sendJson(response, 403, status(403, "Forbidden", message));
      return;
    }
    // ["api","v1","pods"] | ["api","v1","namespaces",ns,"pods"] | ["api","v1","namespaces",ns,"events",name?]
    if (path[0] !== "api" || path[1] !== "v1") {
      sendJson(response, 404, status(404, "NotFound", `${url.pathname}: not served by the test double`));
    } else if (path.length === 3 && path[2] === "pods" && request.method === "GET") {
      servePods(request, response, url);
    } else if (path.length === 5 && path[2] === "namespaces" && path[4] === "pods" && request.method === "GET") {
      servePods(request, response, url, path[3]);
    } else if ((path.length === 5 || path.length === 6) && path[2] === "namespaces" && path[4] === "events") {
      await serveEvents(request, response, path[3] ?? "", path[5]);
    } else {
      sendJson(response, 404, status(404, "NotFound", `${url.pathname}: not served by the test double`));
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`${logPrefix} ${request.method} ${request.url}: ${String(error)}`);
      if (!response.headersSent) sendJson(response, 500, status(500, "InternalError", String(error)));
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`${logPrefix} listen: no TCP address`);
  const url = `http://127.0.0.1:${address.port}`;
  log(`${logPrefix} listening on ${url}`);

  const dropConnections = (): void => {
    for (const watcher of watchResponses.keys()) pods.unwatch(watcher);
    watchResponses.clear();
    for (const socket of sockets) socket.destroy();
  };

  return {
    url,
    counts,
    dropConnections,
    expireWatches() {
      pods.compact();
      for (const [watcher] of watchResponses) {
        watcher.send(goneStatus("0", Number(pods.currentResourceVersion())));
        watcher.end();
      }
    },
    setForbidden(verb: string, resource: string, forbid: boolean) {
      if (forbid) forbidden.add(`${verb} ${resource}`);
      else forbidden.delete(`${verb} ${resource}`);
    },
    setAvailable(next: boolean) {
      available = next;
      if (!next) dropConnections();
    },
    async close() {
      dropConnections();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
