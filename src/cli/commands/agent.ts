/**
 * `pacer agent [flags]`: runs the bandwidth manager on this node until SIGINT/SIGTERM. One log line per
 * action. Stopping closes handles and leaves every limit enforced (the next agent adopts them).
 */
import { startAgent } from "../../agent/agent.js";
import { configHelp, ConfigError, loadConfig } from "../../config/config.js";

const HELP = `usage: pacer agent [--config FILE] [flags]

Enforces kubernetes.io/egress-bandwidth and kubernetes.io/ingress-bandwidth for this node's Pods.
Sources, highest precedence first: flags > environment > config file (YAML, same keys) > defaults.

  flag                 environment              default
${configHelp()}

Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 on a start-up error, 2 on a usage error.`;

export async function run(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ args });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`pacer agent: ${error.message}`);
      return error.code === "CONFIG_FILE" ? 1 : 2;
    }
    throw error;
  }
  const agent = await startAgent(config);
  console.log(`${new Date().toISOString()} ${agent.status().bandwidthManager.line}`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      console.log(`${new Date().toISOString()} ${signal}: stopping (limits stay enforced)`);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await agent.stop();
  console.log(`${new Date().toISOString()} stopped`);
  return 0;
}
