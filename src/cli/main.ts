/**
 * `pacer <command>`: argv → one command module under commands/. Each command module exports
 * `run(args: string[]): Promise<number>` (the exit code) and `summary` (one line for `pacer help`).
 */
const COMMANDS = ["check", "agent", "status", "list", "demo"] as const;
type CommandName = (typeof COMMANDS)[number];

interface CommandModule {
  run(args: string[]): Promise<number>;
  summary: string;
}

const isCommand = (name: string): name is CommandName => (COMMANDS as readonly string[]).includes(name);

async function loadCommand(name: CommandName): Promise<CommandModule> {
  // A computed specifier keeps each command's dependencies out of the others' start-up.
  const specifier = `./commands/${name}.js`;
  return (await import(specifier)) as CommandModule;
}

async function usage(): Promise<string> {
  const lines = ["usage: pacer <command> [options]", "", "commands:"];
  for (const name of COMMANDS) {
    const summary = await loadCommand(name).then(
      (command) => command.summary,
      () => "(not available in this build)",
    );
    lines.push(`  ${name.padEnd(8)} ${summary}`);
  }
  lines.push("", "`pacer <command> --help` describes a command's options.");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(await usage());
    return name === undefined ? 2 : 0;
  }
  if (!isCommand(name)) {
    console.error(`pacer: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  const command = await loadCommand(name);
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`pacer: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
