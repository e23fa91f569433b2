/** `cutover serve` as a real process for the web tests: its URL and token read from what it prints at start. */
import { startCli, type CliProcess } from "../support/cli.js";

export interface Served {
  proc: CliProcess;
  url: string;
  token: string;
  /** Stop it the way a person does (SIGTERM) and return its exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(
  cwd: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  stateDir?: string,
): Promise<Served> {
  const proc = startCli(["serve", "--port", "0", ...args], { cwd, env, stateDir });
  await proc.waitForOutput(/^token: .+$/m);
  const url = /cutover serve: (http:\/\/\S+\/)/.exec(proc.stderr())![1]!;
  const token = /^token: (\S+)/m.exec(proc.stderr())![1]!;
  return {
    proc,
    url,
    token,
    stop: async () => {
      proc.child.kill("SIGTERM");
      return (await proc.done).code;
    },
  };
}
