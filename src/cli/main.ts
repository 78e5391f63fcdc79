/**
 * `pacer <command>`: argv → one command module under commands/. Each module exports
 * `run(args: string[]): Promise<number>` (the exit code) and is imported only when its command runs, so
 * `pacer status` does not load the agent. The imports are literal, so the compiler checks every module
 * against CommandModule.
 */
interface CommandModule {
  run(args: string[]): Promise<number>;
}

interface Command {
  summary: string;
  load(): Promise<CommandModule>;
}

const COMMANDS: Record<string, Command> = {
  check: {
    summary: "probe the kernel for EDT pacing (bpf, clsact, cls_bpf, fq ...): OK/MISSING and what to do",
    load: () => import("./commands/check.js"),
  },
  agent: {
    summary: "run the bandwidth manager on this node (Pods from Kubernetes or --pods-dir)",
    load: () => import("./commands/agent.js"),
  },
  status: {
    summary: "show the running agent's BandwidthManager status (exit 3 when disabled)",
    load: () => import("./commands/status.js"),
  },
  list: {
    summary: "list per-Pod bandwidth limits enforced by the running agent",
    load: () => import("./commands/list.js"),
  },
  budgets: {
    summary: "list the BandwidthBudgets this node enforces (share, Pods, counters) and the invalid ones",
    load: () => import("./commands/budgets.js"),
  },
  ranges: {
    summary: "list what the agent counts as inside the cluster, and where each prefix came from",
    load: () => import("./commands/ranges.js"),
  },
};

export function usage(): string {
  const lines = ["usage: pacer <command> [options]", "", "commands:"];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${command.summary}`);
  lines.push("", "`pacer <command> --help` describes a command's options.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    console.error(`pacer: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(args);
}
