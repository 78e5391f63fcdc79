/**
 * One GET to the control plane as its admin (client certificate in system:masters, the lab CA verifying the
 * server): for /readyz while waiting for kube-apiserver. Everything else goes through kubectl.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import type { ControlPlanePki } from "./pki.js";

export function apiGetStatus(options: { server: string; pki: ControlPlanePki; path: string; timeoutMs?: number }): Promise<number> {
  const { pki } = options;
  return new Promise((resolve, reject) => {
    const call = request(new URL(options.path, options.server), {
      method: "GET",
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.adminCert),
      key: readFileSync(pki.adminKey),
      timeout: options.timeoutMs ?? 5000,
    }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    call.once("timeout", () => call.destroy(new Error(`GET ${options.path}: timed out`)));
    call.once("error", reject);
    call.end();
  });
}
