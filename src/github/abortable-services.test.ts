import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ProbotOctokit } from "probot";
import { expect, test } from "vitest";
import type { AppServices } from "./analyze-pull-request.ts";
import { abortableServices } from "./create-github-app.ts";

test("an aborted job's GitHub request ends without a retry, and no request starts after the abort", async () => {
  // GitHub unreachable the worst way: it takes the request and never answers.
  let received = 0;
  const github = createServer(() => void received++);
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
  try {
    const shutdown = new AbortController();
    const services = abortableServices(
      {
        octokitFor: async () =>
          new ProbotOctokit({ baseUrl, auth: { token: "t" }, throttle: { enabled: false } } as never),
      } as unknown as AppServices,
      shutdown.signal,
    );
    const octokit = await services.octokitFor(1);
    const pending = octokit.rest.pulls.listFiles({ owner: "o", repo: "r", pull_number: 1 });
    while (received === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const aborting = Date.now();
    shutdown.abort(new Error("interrupted by a server shutdown"));
    await expect(pending).rejects.toThrow(/interrupted by a server shutdown/);
    // Retried, it would end only after the retry plugin's waits (1, 4 and 9 s: 14 s).
    expect(Date.now() - aborting).toBeLessThan(5_000);
    expect(received).toBe(1);
    await expect(octokit.rest.pulls.get({ owner: "o", repo: "r", pull_number: 1 })).rejects.toThrow(
      /interrupted by a server shutdown/,
    );
    expect(received).toBe(1);
    await expect(services.octokitFor(1)).rejects.toThrow(/interrupted by a server shutdown/);
    expect(services.signal).toBe(shutdown.signal);
  } finally {
    github.closeAllConnections();
    github.close();
  }
});
