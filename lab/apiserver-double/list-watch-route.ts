/**
 * The API-server TEST DOUBLE's list and watch of one collection: `GET <collection>` with `fieldSelector`,
 * `resourceVersion`, `watch=1|true` and `timeoutSeconds`; a list is one JSON document, a watch
 * newline-delimited JSON events over a chunked response (what client-node's Watch reads).
 * Also the API paths the double knows, parsed: /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<sub>]] and
 * /apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]].
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { FieldSelectorError, parseFieldSelector, type FieldRequirement } from "./field-selector.js";
import type { ObjectStore, StoredObject, Watcher, WatchEvent } from "./object-store.js";

export interface ApiPath {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
}

export function parseApiPath(pathname: string): ApiPath | null {
  const segments = pathname.split("/").filter((segment) => segment !== "");
  let rest: string[];
  let group = "";
  let version: string | undefined;
  if (segments[0] === "api") [version, ...rest] = segments.slice(1);
  else if (segments[0] === "apis") [group = "", version, ...rest] = segments.slice(1);
  else return null;
  if (version === undefined) return null;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) [, namespace, ...rest] = rest;
  const [resource, name, subresource, ...extra] = rest;
  if (resource === undefined || extra.length > 0) return null;
  return { group, version, namespace, resource, name, subresource };
}

export const statusBody = (code: number, reason: string, message: string): object => ({
  kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code,
});

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** Open watches of every store, so faults (drop, expire) reach all of them. */
export type OpenWatches = Map<Watcher, { store: ObjectStore<StoredObject>; response: ServerResponse }>;

export function serveListWatch(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  collection: { store: ObjectStore<StoredObject>; listKind: string; namespace: string | undefined },
  watches: OpenWatches,
  log: (line: string) => void,
): "list" | "watch" | null {
  const { store } = collection;
  let requirements: FieldRequirement[];
  try {
    requirements = parseFieldSelector(url.searchParams.get("fieldSelector"));
  } catch (error) {
    if (!(error instanceof FieldSelectorError)) throw error;
    sendJson(response, 400, statusBody(400, "BadRequest", error.message));
    return null;
  }
  if (collection.namespace !== undefined) requirements.push({ field: "metadata.namespace", operator: "=", value: collection.namespace });
  const watchParam = url.searchParams.get("watch");
  if (watchParam !== "1" && watchParam !== "true") {
    const { resourceVersion, items } = store.list(requirements);
    sendJson(response, 200, { kind: collection.listKind, apiVersion: store.options.apiVersion, metadata: { resourceVersion }, items });
    return "list";
  }
  const from = url.searchParams.get("resourceVersion") ?? "";
  response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
  response.flushHeaders();
  const watcher: Watcher = {
    requirements,
    send: (event: WatchEvent) => response.write(`${JSON.stringify(event)}\n`),
    end: () => {
      store.unwatch(watcher);
      watches.delete(watcher);
      response.end();
    },
  };
  request.socket.once("close", () => {
    store.unwatch(watcher);
    watches.delete(watcher);
  });
  if (!store.watch(watcher, from)) {
    log(`[apiserver test double] watch ${store.options.kind} from resourceVersion ${from}: 410 Gone (history compacted)`);
    response.end();
    return "watch";
  }
  watches.set(watcher, { store, response });
  const timeoutSeconds = Number(url.searchParams.get("timeoutSeconds") ?? "0");
  if (timeoutSeconds > 0) setTimeout(() => watcher.end(), timeoutSeconds * 1000).unref();
  return "watch";
}
