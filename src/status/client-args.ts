/**
 * Options shared by the status API's clients (`pacer status`, `pacer list`): --json and --socket PATH
 * (default: $PACER_SOCKET, else /run/pacer/pacer.sock).
 */
import { DEFAULT_SOCKET_PATH } from "./client.js";

export interface ClientArgs {
  json: boolean;
  socketPath: string;
  help: boolean;
}

/** Parsed options, or a usage error message. */
export function parseClientArgs(args: string[]): ClientArgs | string {
  const parsed: ClientArgs = { json: false, socketPath: process.env.PACER_SOCKET || DEFAULT_SOCKET_PATH, help: false };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    if (arg === "--json") parsed.json = true;
    else if (arg === "--help" || arg === "-h") parsed.help = true;
    else if (arg.startsWith("--socket=")) parsed.socketPath = arg.slice("--socket=".length);
    else if (arg === "--socket") {
      const value = args[++index];
      if (!value) return "--socket needs a path";
      parsed.socketPath = value;
    } else return `unknown option ${arg}`;
  }
  return parsed;
}
