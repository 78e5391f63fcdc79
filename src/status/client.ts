/**
 * Client of the status API, used by `pacer status` and `pacer list`. When the agent is not running, the
 * error says which socket was tried and to start `pacer agent`.
 */
import { request } from "node:http";
import type { BudgetsReport, LimitsReport, RangesReport, StatusReport } from "./api.js";

/** The agent's socket when neither --socket nor PACER_SOCKET says otherwise (the agent's config default too). */
export const DEFAULT_SOCKET_PATH = "/run/pacer/pacer.sock";

export class AgentUnreachableError extends Error {
  readonly code = "AGENT_UNREACHABLE";
  constructor(socketPath: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    super(
      `cannot reach the pacer agent at ${socketPath} (${reason}): start it with \`pacer agent\`, or point to its socket with --socket PATH (or PACER_SOCKET)`,
      { cause },
    );
    this.name = "AgentUnreachableError";
  }
}

export function getJson<T>(socketPath: string, path: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const call = request({ socketPath, path, method: "GET", timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (response.statusCode !== 200) {
          reject(new Error(`GET ${path} from the agent at ${socketPath}: HTTP ${response.statusCode}: ${text}`));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (error) {
          reject(new Error(`GET ${path} from the agent at ${socketPath}: invalid JSON`, { cause: error }));
        }
      });
    });
    call.on("timeout", () => call.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    call.on("error", (error) => reject(new AgentUnreachableError(socketPath, error)));
    call.end();
  });
}

export const fetchStatus = (socketPath: string): Promise<StatusReport> => getJson<StatusReport>(socketPath, "/v1/status");
export const fetchLimits = (socketPath: string): Promise<LimitsReport> => getJson<LimitsReport>(socketPath, "/v1/limits");
export const fetchBudgets = (socketPath: string): Promise<BudgetsReport> => getJson<BudgetsReport>(socketPath, "/v1/budgets");
export const fetchRanges = (socketPath: string): Promise<RangesReport> => getJson<RangesReport>(socketPath, "/v1/ranges");
