// The real `covenant` command (bin/covenant.js) in a process of its own, as a user runs it.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

export const COVENANT_BIN = resolve(import.meta.dirname, "../../bin/covenant.js");

export const runCovenant = (
  args: string[],
  { cwd, env }: { cwd?: string; env?: Record<string, string | undefined> } = {},
) => {
  const result = spawnSync(process.execPath, [COVENANT_BIN, ...args], {
    cwd,
    env: env as NodeJS.ProcessEnv | undefined,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
