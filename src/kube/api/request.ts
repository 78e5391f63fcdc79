/**
 * One JSON request to the Kubernetes API server over an ApiConnection, with node-fetch (the HTTP client
 * client-node's Watch already loads): the Pod list and the Event POST/PATCH. A non-2xx answer throws
 * KubeApiError carrying the HTTP status and the server's Status body (its `message` is what to show);
 * describeApiError turns any API error (ours, client-node's, a network error) into one log line.
 */
import fetch from "node-fetch";
import type { ApiConnection } from "./connection.js";

export class KubeApiError extends Error {
  readonly code = "KUBE_API";
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    request: string,
  ) {
    const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
    super(`${request}: HTTP ${statusCode}${typeof message === "string" ? `: ${message}` : ""}`);
  }
}

export interface KubeRequest {
  method: "GET" | "POST" | "PATCH" | "PUT";
  /** API path, e.g. /api/v1/pods. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Content type of the body (default application/json; PATCH needs e.g. application/json-patch+json). */
  contentType?: string;
  /** Abort a request that takes longer (default 60 s; a 1,000-Pod list takes well under a second). */
  timeoutMilliseconds?: number;
}

export async function kubeRequest<T>(connection: ApiConnection, request: KubeRequest): Promise<T> {
  const cluster = connection.getCurrentCluster();
  if (!cluster) throw new Error("kube request: no current cluster in the config");
  const url = new URL(cluster.server + request.path);
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
  const init = (await connection.applyToFetchOptions({})) as { agent?: never; headers?: Record<string, string> | Headers };
  const headers = new Headers(init.headers as Record<string, string> | undefined);
  headers.set("Accept", "application/json");
  if (request.body !== undefined) headers.set("Content-Type", request.contentType ?? "application/json");
  const response = await fetch(url.toString(), {
    method: request.method,
    agent: init.agent,
    headers: Object.fromEntries(headers.entries()),
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    signal: AbortSignal.timeout(request.timeoutMilliseconds ?? 60_000) as never,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON (a proxy's error page): keep the text
  }
  if (!response.ok) throw new KubeApiError(response.status, body, `${request.method} ${request.path}`);
  return body as T;
}

/** Why an API error happened, in one line ("HTTP-Code: 503 ..." bodies are long). */
export function describeApiError(error: unknown): string {
  if (typeof error !== "object" || error === null) return String(error);
  const { code, statusCode, message, body } = error as {
    code?: unknown;
    statusCode?: unknown;
    message?: unknown;
    body?: unknown;
  };
  const status = typeof statusCode === "number" ? statusCode : typeof code === "number" ? code : undefined;
  const bodyMessage =
    typeof body === "object" && body !== null ? (body as { message?: unknown }).message : typeof body === "string" ? body : undefined;
  const text = typeof bodyMessage === "string" ? bodyMessage : typeof message === "string" ? message.split("\n")[0] : "";
  return status !== undefined ? `HTTP ${status}: ${text}` : `${typeof code === "string" ? `${code}: ` : ""}${text}`;
}
