/**
 * Reads a kubeconfig file (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/)
 * into a ConnectionSpec for its current context: server, CA / client certificate / key (inline `-data` or a
 * file, relative paths against the kubeconfig's directory, as kubectl resolves them), token / tokenFile,
 * basic auth, insecure-skip-tls-verify, tls-server-name. Pure apart from reading the referenced files.
 *
 * A kubeconfig whose user needs more (exec plugin, auth-provider such as OIDC, impersonation) or whose cluster
 * uses a proxy is reported as unsupported, with the reason, so the caller can use client-node's full KubeConfig.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "yaml";
import { ConnectionError, type ConnectionSpec } from "./connection.js";

export type KubeconfigReading = { spec: ConnectionSpec } | { unsupported: string };

type Entries = Array<{ name?: unknown; [key: string]: unknown }>;
type Fields = Record<string, unknown>;

const named = (list: unknown, name: unknown, key: string): Fields | undefined => {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Entries).find((item) => item?.name === name);
  const value = entry?.[key];
  return typeof value === "object" && value !== null ? (value as Fields) : undefined;
};

const text = (fields: Fields, key: string): string | undefined => {
  const value = fields[key];
  return typeof value === "string" && value !== "" ? value : undefined;
};

/** Handled user fields; any other non-empty field needs client-node's authenticators. */
const handledUserFields = new Set([
  "token",
  "tokenFile",
  "client-certificate",
  "client-certificate-data",
  "client-key",
  "client-key-data",
  "username",
  "password",
]);
const handledClusterFields = new Set([
  "server",
  "certificate-authority",
  "certificate-authority-data",
  "insecure-skip-tls-verify",
  "tls-server-name",
  "extensions",
]);

export function readKubeconfigFile(path: string): KubeconfigReading {
  let document: unknown;
  try {
    document = parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConnectionError(`read kubeconfig ${path}: ${(error as Error).message}`, { cause: error });
  }
  return kubeconfigToSpec(document, path);
}

export function kubeconfigToSpec(document: unknown, path: string): KubeconfigReading {
  const config = (typeof document === "object" && document !== null ? document : {}) as Fields;
  const contextName = config["current-context"];
  const context = named(config.contexts, contextName, "context");
  if (!context) throw new ConnectionError(`kubeconfig ${path}: no context named ${JSON.stringify(contextName)} (current-context)`);
  const cluster = named(config.clusters, context.cluster, "cluster");
  if (!cluster) throw new ConnectionError(`kubeconfig ${path}: context ${String(contextName)} names no known cluster`);
  const user = named(config.users, context.user, "user") ?? {};

  const unhandledUser = Object.keys(user).filter((key) => !handledUserFields.has(key) && user[key] != null);
  if (unhandledUser.length > 0) return { unsupported: `user field(s) ${unhandledUser.join(", ")}` };
  const unhandledCluster = Object.keys(cluster).filter((key) => !handledClusterFields.has(key) && cluster[key] != null);
  if (unhandledCluster.length > 0) return { unsupported: `cluster field(s) ${unhandledCluster.join(", ")}` };

  const server = text(cluster, "server");
  if (!server) throw new ConnectionError(`kubeconfig ${path}: cluster ${String(context.cluster)} has no server`);
  const directory = dirname(path);
  const bytes = (fields: Fields, dataKey: string, fileKey: string): Buffer | undefined => {
    const data = text(fields, dataKey);
    if (data !== undefined) return Buffer.from(data, "base64");
    const file = text(fields, fileKey);
    if (file === undefined) return undefined;
    const absolute = isAbsolute(file) ? file : resolve(directory, file);
    try {
      return readFileSync(absolute);
    } catch (error) {
      throw new ConnectionError(`kubeconfig ${path}: read ${fileKey} ${absolute}: ${(error as Error).message}`, { cause: error });
    }
  };
  const tokenFile = text(user, "tokenFile");
  const username = text(user, "username");
  return {
    spec: {
      server: server.replace(/\/+$/, ""),
      ca: bytes(cluster, "certificate-authority-data", "certificate-authority"),
      cert: bytes(user, "client-certificate-data", "client-certificate"),
      key: bytes(user, "client-key-data", "client-key"),
      insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
      tlsServerName: text(cluster, "tls-server-name"),
      token: text(user, "token"),
      tokenFile: tokenFile === undefined || isAbsolute(tokenFile) ? tokenFile : resolve(directory, tokenFile),
      basic: username !== undefined ? { username, password: text(user, "password") ?? "" } : undefined,
      source: `kubeconfig ${path}`,
    },
  };
}
