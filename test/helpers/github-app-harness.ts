// A Covenant GitHub App for handler tests: Probot with retry and throttling off, a real database,
// a quiet logger, real webhook payloads from @octokit/webhooks-examples patched per test, and a
// nock scope whose every request is checked against GitHub's OpenAPI description.
import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { loadConfig } from "../../src/config.ts";
import { createGitHubApp, type GitHubApp } from "../../src/github/create-github-app.ts";
import { createTestDatabase, type TestDatabase } from "./github-db.ts";
import { createConformanceLog } from "./openapi-conformance.ts";

export type { Json } from "./webhook-examples.ts";

/**
 * Retry and throttling off. A function, not an object: Probot passes its own throttle options
 * per instance, and with object defaults they would replace ours and switch throttling back on
 * (one write per second, one comment per three).
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object | undefined), enabled: false },
})) as typeof ProbotOctokit;

import { testPrivateKey } from "./webhook-examples.ts";

export { examplePayload, testPrivateKey } from "./webhook-examples.ts";

export type Harness = {
  app: GitHubApp;
  t: TestDatabase;
  conformance: ReturnType<typeof createConformanceLog>;
  github: () => nock.Scope;
  deliver: (id: string, name: string, payload: Record<string, unknown>) => Promise<void>;
  close: () => Promise<void>;
};

export const createHarness = async ({
  provider = "sqlite",
  apiUrl = "https://api.github.com",
}: {
  provider?: "sqlite" | "postgresql";
  apiUrl?: string;
} = {}): Promise<Harness> => {
  const t = await createTestDatabase(provider);
  const config = loadConfig({
    APP_ID: "1",
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: "test-secret",
    GITHUB_API_URL: apiUrl,
    JOB_WORKERS: "1",
    DATABASE_URL: t.url,
  });
  const app = await createGitHubApp({
    config,
    db: t.db,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    Octokit: TestOctokit,
    queue: { pollMs: 20, maxAttempts: 2, backoff: { baseMs: 10, maxMs: 20 } },
    // These tests follow the check run through "in progress" (as a slow analysis shows it); the
    // end-to-end tests see the default, a fast analysis creating its run completed.
    checkRunProgressAfterMs: 0,
  });
  const conformance = createConformanceLog();
  const github = () => {
    const scope = nock(apiUrl);
    scope.on("request", (req: { method: string; path: string }, _interceptor: unknown, body: string) => {
      conformance.record({ method: req.method, url: req.path, body: body ? JSON.parse(body) : undefined });
    });
    return scope;
  };
  return {
    app,
    t,
    conformance,
    github,
    deliver: async (id, name, payload) => {
      await app.receive({ id, name, payload });
      await app.queue.idle();
    },
    close: async () => {
      await app.stop();
      await t.drop();
    },
  };
};
