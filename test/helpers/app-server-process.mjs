// A Covenant server process for multi-instance tests and benchmarks: what `covenant serve` (or,
// with COVENANT_ROLE=worker, `covenant worker`) starts, configured from the environment, with one
// difference: Octokit's write throttling is off (GitHub asks an App for about one write a second;
// the local stand-in for GitHub does not, and the spacing would make the run minutes long).
// Runs the TypeScript sources (through tsx), so what is tested is what is checked out.
import { register } from "tsx/esm/api";

register();
const { ProbotOctokit } = await import("probot");
const { loadConfig } = await import("../../src/config.ts");
const { startServer, startWorker } = await import("../../src/main.ts");

const Octokit = ProbotOctokit.defaults((options) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false },
}));
const config = loadConfig(process.env);
const worker = process.env.COVENANT_ROLE === "worker";
const running = worker ? await startWorker({ config, Octokit }) : await startServer({ config, Octokit });
process.stderr.write(`Covenant ${worker ? "worker" : "server"} listening on ${running.url ?? "-"}\n`);
process.once("SIGTERM", () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
