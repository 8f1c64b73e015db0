// The real server with the GitHub App switched on, answering signed webhook deliveries over HTTP,
// for end-to-end tests of the App: GitHub is a local fake over HTTP (startAppWithGitHub) or an
// address nothing answers (startApp), and payloads are GitHub's own (webhook-examples.ts).
import { join } from "node:path";
import { type CovenantOptions, type RunningCovenant, startCovenantServer } from "./covenant-server.ts";
import { type CheckRun, type FakeGitHub, type FakeRepository, startFakeGitHub } from "./fake-github.ts";
import { type Files, readDirectoryFiles } from "./github-repo-fixture.ts";
import { sendDelivery } from "./signed-delivery.ts";
import { testPrivateKey } from "./webhook-examples.ts";

/** The App's webhook secret, for tests that sign a body themselves. */
export const WEBHOOK_SECRET = "app-webhook-secret";

/** The example repository (examples/shop); on the fake GitHub it is acme/shop (SHOP_REPOSITORY). */
export const SHOP: Files = readDirectoryFiles(join(import.meta.dirname, "../../examples/shop"));

export type AppServer = RunningCovenant & {
  /** Sends `payload` as a signed `event` delivery (a wrong signature with `signatureSecret`). */
  deliver: (
    event: string,
    payload: unknown,
    options?: { id?: string; signatureSecret?: string },
  ) => ReturnType<typeof sendDelivery>;
};

export type AppServerWithGitHub = AppServer & { github: FakeGitHub };

/** The App with GitHub at an address nothing answers: a job that tried to reach it would fail. */
export const startApp = async ({ config, ...options }: CovenantOptions = {}): Promise<AppServer> => {
  const running = await startCovenantServer({
    ...options,
    config: {
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET,
      GITHUB_API_URL: "http://127.0.0.1:9",
      ...config,
    },
  });
  return {
    ...running,
    deliver: (event, payload, { id, signatureSecret } = {}) =>
      sendDelivery({
        url: running.base,
        secret: WEBHOOK_SECRET,
        event,
        payload,
        ...(id ? { id } : {}),
        ...(signatureSecret ? { signatureSecret } : {}),
      }),
  };
};

/**
 * The App with a fake GitHub serving `repositories`; nothing but 127.0.0.1 is reachable until it
 * is closed. nock is loaded here only: it intercepts every request of the process once loaded.
 */
export const startAppWithGitHub = async ({
  repositories,
  config,
  ...options
}: CovenantOptions & { repositories: FakeRepository[] }): Promise<AppServerWithGitHub> => {
  const { default: nock } = await import("nock");
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1"); // only our own servers
  const github = await startFakeGitHub();
  for (const repository of repositories)
    github.repos.set(`${repository.owner}/${repository.name}`, repository);
  const close = async () => {
    await github.close();
    nock.enableNetConnect();
  };
  const app = await startApp({ ...options, config: { GITHUB_API_URL: github.url, ...config } }).catch(
    async (error) => {
      await close();
      throw error;
    },
  );
  return {
    ...app,
    github,
    close: async () => {
      await app.close();
      await close();
    },
  };
};

/** The completed check run for `sha`: the one already there, or the next to complete. */
export const completedCheckRun = (github: FakeGitHub, sha: string, timeoutMs = 60_000) =>
  new Promise<CheckRun>((resolve, reject) => {
    const found = [...github.checkRuns.values()].find((r) => r.head_sha === sha && r.status === "completed");
    if (found) return resolve(found);
    const timer = setTimeout(() => reject(new Error(`no completed check run for ${sha}`)), timeoutMs);
    github.onCheckCompleted((run) => {
      if (run.head_sha !== sha) return;
      clearTimeout(timer);
      resolve(run);
    });
  });
