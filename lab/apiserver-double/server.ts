/**
 * The Kubernetes API-server TEST DOUBLE's HTTP face: a real HTTP/1.1 server on 127.0.0.1 (random port) that
 * speaks the slice of the API pacer uses — list/watch (list-watch-route.ts) of Pods (`/api/v1/pods`,
 * `/api/v1/namespaces/<ns>/pods`), Nodes (`/api/v1/nodes`), ServiceCIDRs
 * (`/apis/networking.k8s.io/v1/servicecidrs`) and BandwidthBudgets (`/apis/pacer.dev/v1alpha1/[namespaces/
 * <ns>/]bandwidthbudgets`, with `PATCH .../<name>/status` as a JSON merge patch guarded by resourceVersion),
 * coordination.k8s.io/v1 Leases and pacer.dev BandwidthNodes (cluster-scoped): GET of one object, POST, PUT
 * guarded by resourceVersion, PATCH (JSON merge patch) of the object and of its status; and core/v1 Events (`POST /api/v1/namespaces/<ns>/events`, `PATCH .../events/<name>`, `GET .../events`).
 * Faults on demand: drop every open connection, expire watches with a 410 ERROR event, answer everything
 * with 503 for a while, refuse one verb with 403, or stop serving a collection (404, as a server without
 * the ServiceCIDR API or without the CRD answers).
 * It is a test double, not an API server: no auth, no admission, no persistence.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { Socket } from "node:net";
import { goneStatus, StoreError, type ObjectStore, type StoredObject } from "./object-store.js";
import { EventStore, EventStoreError } from "./event-store.js";
import { parseApiPath, sendJson, serveListWatch, statusBody as status, type OpenWatches } from "./list-watch-route.js";

const logPrefix = "[apiserver test double]";

export interface RequestCounts {
  lists: number;
  watches: number;
  eventWrites: number;
  statusWrites: number;
  /** Creates, updates and patches of whole objects (Leases, BandwidthNodes). */
  objectWrites: number;
  rejected: number;
}

/** A collection the double serves: its store, where it lives, and the kind of its list. */
export interface Collection {
  store: ObjectStore<StoredObject>;
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  listKind: string;
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
  /** true: `verb resource` (list/watch pods, create/patch events, patch bandwidthbudgets/status) is answered 403, as RBAC would. */
  setForbidden(verb: string, resource: string, forbidden: boolean): void;
  /** false: the collection (e.g. "bandwidthbudgets", "servicecidrs") answers 404 and its watches end; true: served again. */
  setServed(resource: string, served: boolean): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

export async function startHttpDouble(
  collections: readonly Collection[],
  events: EventStore,
  log: (line: string) => void = () => {},
): Promise<ApiServerDoubleHttp> {
  const sockets = new Set<Socket>();
  const watches: OpenWatches = new Map();
  const counts: RequestCounts = { lists: 0, watches: 0, eventWrites: 0, statusWrites: 0, objectWrites: 0, rejected: 0 };
  let available = true;
  const forbidden = new Set<string>();
  const unserved = new Set<string>();
  const collectionOf = (group: string, version: string, resource: string) =>
    collections.find((candidate) => candidate.group === group && candidate.version === version && candidate.resource === resource);

  const serveStatus = async (request: IncomingMessage, response: ServerResponse, collection: Collection, namespace: string, name: string): Promise<void> => {
    const contentType = request.headers["content-type"] ?? "";
    if (!contentType.startsWith("application/merge-patch+json")) {
      sendJson(response, 415, status(415, "UnsupportedMediaType", `the test double takes only application/merge-patch+json on /status, not ${contentType}`));
      return;
    }
    counts.statusWrites += 1;
    sendJson(response, 200, collection.store.patchStatus(namespace, name, await readBody(request)));
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
    const path = parseApiPath(url.pathname);
    const watching = url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true";
    const verb = { GET: watching ? "watch" : path?.name !== undefined ? "get" : "list", POST: "create", PATCH: "patch", PUT: "update" }[request.method ?? ""] ?? "";
    const resource = path?.subresource ? `${path.resource}/${path.subresource}` : path?.resource;
    if (path && forbidden.has(`${verb} ${resource}`)) {
      const message = `${resource} is forbidden: User "test-double" cannot ${verb} resource "${resource}" in API group "${path.group}"`;
      sendJson(response, 403, status(403, "Forbidden", message));
      return;
    }
    const notServed = () => sendJson(response, 404, status(404, "NotFound", `the server could not find the requested resource (${url.pathname}: not served by the test double)`));
    if (path === null) return notServed();
    if (path.group === "" && path.version === "v1" && path.resource === "events" && path.namespace !== undefined && path.subresource === undefined) {
      return serveEvents(request, response, path.namespace, path.name);
    }
    const collection = collectionOf(path.group, path.version, path.resource);
    if (!collection || unserved.has(collection.resource) || (path.namespace !== undefined && !collection.namespaced)) return notServed();
    try {
      if (request.method === "GET" && path.name === undefined) {
        const served = serveListWatch(request, response, url, { store: collection.store, listKind: collection.listKind, namespace: path.namespace }, watches, log);
        if (served === "list") counts.lists += 1;
        if (served === "watch") counts.watches += 1;
      } else if (request.method === "PATCH" && path.subresource === "status" && path.name !== undefined) {
        await serveStatus(request, response, collection, path.namespace ?? "", path.name);
      } else if (path.subresource === undefined && path.name !== undefined && request.method === "GET") {
        const object = collection.store.get(path.namespace ?? "", path.name);
        if (object) sendJson(response, 200, object);
        else sendJson(response, 404, status(404, "NotFound", `${path.resource} "${path.name}" not found`));
      } else if (path.subresource === undefined && path.name === undefined && request.method === "POST") {
        const body = (await readBody(request)) as StoredObject;
        counts.objectWrites += 1;
        sendJson(response, 201, collection.store.create({ ...body, metadata: { ...body.metadata, namespace: path.namespace ?? "" } }));
      } else if (path.subresource === undefined && path.name !== undefined && request.method === "PUT") {
        const body = (await readBody(request)) as StoredObject;
        counts.objectWrites += 1;
        sendJson(response, 200, collection.store.update({ ...body, metadata: { ...body.metadata, namespace: path.namespace ?? "", name: path.name } }));
      } else if (path.subresource === undefined && path.name !== undefined && request.method === "PATCH") {
        const contentType = request.headers["content-type"] ?? "";
        if (!contentType.startsWith("application/merge-patch+json")) {
          sendJson(response, 415, status(415, "UnsupportedMediaType", `the test double takes only application/merge-patch+json, not ${contentType}`));
          return;
        }
        counts.objectWrites += 1;
        sendJson(response, 200, collection.store.patch(path.namespace ?? "", path.name, await readBody(request)));
      } else {
        sendJson(response, 405, status(405, "MethodNotAllowed", `${request.method} ${url.pathname} not supported by the test double`));
      }
    } catch (error) {
      if (error instanceof StoreError) sendJson(response, error.statusCode, status(error.statusCode, error.reason, error.message));
      else if (error instanceof SyntaxError) sendJson(response, 400, status(400, "BadRequest", error.message));
      else throw error;
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
    for (const [watcher, { store }] of watches) store.unwatch(watcher);
    watches.clear();
    for (const socket of sockets) socket.destroy();
  };

  return {
    url,
    counts,
    dropConnections,
    expireWatches() {
      for (const { store } of collections) store.compact();
      for (const [watcher, { store }] of [...watches]) {
        watcher.send(goneStatus("0", Number(store.currentResourceVersion())));
        watcher.end();
      }
    },
    setServed(resource: string, served: boolean) {
      if (served) return void unserved.delete(resource);
      unserved.add(resource);
      for (const [watcher, { store }] of [...watches]) if (store === collections.find((candidate) => candidate.resource === resource)?.store) watcher.end();
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
