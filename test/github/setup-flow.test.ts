// Registering the App from app.yml (GitHub's manifest flow) on the real server: the setup page,
// the code exchange against a local fake of GitHub's conversions endpoint (checked against
// GitHub's OpenAPI description), .env merging, and 404 once the App is configured.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildProgram } from "../../src/cli/program.ts";
import { githubAppConfigured, loadConfig } from "../../src/config.ts";
import { type RunningServer, startServer } from "../../src/main.ts";
import { testPrivateKey } from "../helpers/github-app-harness.ts";
import { createConformanceLog } from "../helpers/openapi-conformance.ts";

const appYml = parseYaml(readFileSync(join(import.meta.dirname, "../../app.yml"), "utf8")) as Record<
  string,
  unknown
>;
const PEM = testPrivateKey();
const silent = pino({ level: "silent" });

const unescapeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

const formOf = (html: string) => {
  const action = /<form action="([^"]+)" method="post">/.exec(html)?.[1];
  const manifest = /name="manifest" value="([^"]*)"/.exec(html)?.[1];
  return {
    action: action && unescapeHtml(action),
    manifest: manifest ? (JSON.parse(unescapeHtml(manifest)) as Record<string, unknown>) : undefined,
  };
};

/** GitHub's POST /app-manifests/{code}/conversions: "good" converts once, anything else is refused. */
const startFakeConversions = async () => {
  const conformance = createConformanceLog();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      conformance.record({ method: req.method ?? "GET", url: req.url ?? "/", body: body || undefined });
      res.setHeader("content-type", "application/json");
      if (req.method === "POST" && req.url === "/app-manifests/good/conversions") {
        res.writeHead(201);
        res.end(
          JSON.stringify({
            id: 4242,
            slug: "covenant-acme",
            node_id: "A_1",
            name: "Covenant",
            html_url: "https://github.com/apps/covenant-acme",
            pem: PEM,
            webhook_secret: "whsec-from-github",
            client_id: "Iv1.abc",
            client_secret: "shh",
          }),
        );
        return;
      }
      res.writeHead(404);
      res.end(JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com/rest" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    conformance,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

describe("registering the App from app.yml", () => {
  let dir: string;
  let fake: Awaited<ReturnType<typeof startFakeConversions>>;
  let server: RunningServer;
  let envFile: string;
  const BEFORE = "# local settings\nDATABASE_URL=file:./data/local.db\nexport LOG_LEVEL=debug\nAPP_ID=\n";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "covenant-setup-"));
    envFile = join(dir, ".env");
    writeFileSync(envFile, BEFORE);
    fake = await startFakeConversions();
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: `file:${join(dir, "setup.db")}`,
      GITHUB_API_URL: fake.url,
      JOB_WORKERS: "0",
    });
    server = await startServer({ config, logger: silent, envFile });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("GET /setup posts app.yml's manifest to GitHub, with this server's webhook and callback URLs", async () => {
    const response = await fetch(`${server.url}/setup`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const { action, manifest } = formOf(await response.text());
    expect(action).toBe("https://github.com/settings/apps/new");
    expect(manifest).toEqual({
      name: appYml.name,
      description: appYml.description,
      url: appYml.url,
      public: appYml.public,
      default_events: appYml.default_events,
      default_permissions: appYml.default_permissions,
      // No PUBLIC_URL: the request's Host, over http.
      hook_attributes: { url: `${server.url}/api/github/webhooks` },
      redirect_url: `${server.url}/setup/callback`,
    });
    // GitHub's manifest rules for these are checked in app-manifest.test.ts.
    expect(manifest?.default_events).not.toContain("installation");
  });

  test("?org= registers the App for an organization; a malformed one is refused", async () => {
    const org = await fetch(`${server.url}/setup?org=acme-data`);
    expect(formOf(await org.text()).action).toBe(
      "https://github.com/organizations/acme-data/settings/apps/new",
    );
    const bad = await fetch(`${server.url}/setup?org=${encodeURIComponent('"><script>')}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain("<script>");
  });

  test("a code GitHub refuses gives 502, says what to do, and writes nothing", async () => {
    const response = await fetch(`${server.url}/setup/callback?code=expired`);
    expect(response.status).toBe(502);
    const html = await response.text();
    expect(html).toContain("GitHub refused the code: HTTP 404 Not Found");
    expect(html).toContain("Nothing was written");
    expect(html).toContain('href="/setup"');
    expect(readFileSync(envFile, "utf8")).toBe(BEFORE);
  });

  test("the callback exchanges the code, merges the credentials into .env and says what comes next", async () => {
    const response = await fetch(`${server.url}/setup/callback?code=good`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain("https://github.com/apps/covenant-acme");
    expect(html).toContain('href="https://github.com/apps/covenant-acme/installations/new"');
    expect(html).toMatch(/Restart <code>covenant serve<\/code>/);

    const text = readFileSync(envFile, "utf8");
    // Other lines kept as they were; the empty APP_ID= replaced in place.
    expect(
      text.startsWith(
        "# local settings\nDATABASE_URL=file:./data/local.db\nexport LOG_LEVEL=debug\nAPP_ID=4242\n",
      ),
    ).toBe(true);
    expect(text.match(/^APP_ID=/gm)).toHaveLength(1);
    expect(statSync(envFile).mode & 0o077).toBe(0);
    const env = parseEnv(text);
    expect(env).toMatchObject({ APP_ID: "4242", WEBHOOK_SECRET: "whsec-from-github", LOG_LEVEL: "debug" });
    expect(env.PRIVATE_KEY).not.toContain("\n");
    const config = loadConfig({ ...env, DATABASE_URL: "file::memory:" });
    expect(githubAppConfigured(config)).toBe(true);
    expect(config.PRIVATE_KEY?.replace(/\\n/g, "\n")).toBe(PEM.trim());

    // What the flow sent is what GitHub's REST description says.
    expect(fake.conformance.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /app-manifests/expired/conversions",
      "POST /app-manifests/good/conversions",
    ]);
    expect(fake.conformance.problems).toEqual([]);
  });

  test("credentials already in .env are never overwritten, and the code is not used up", async () => {
    const before = readFileSync(envFile, "utf8");
    const again = await fetch(`${server.url}/setup/callback?code=good`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("does not overwrite them");
    expect(readFileSync(envFile, "utf8")).toBe(before);
    expect(fake.conformance.requests).toHaveLength(2);
    const page = await fetch(`${server.url}/setup`);
    expect(await page.text()).toContain("Restart <code>covenant serve</code>");
  });
});

describe("setup with PUBLIC_URL and GitHub Enterprise Server", () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "covenant-setup-ghe-"));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    server = await startServer({
      config: loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: `file:${join(dir, "setup.db")}`,
        PUBLIC_URL: "https://covenant.example.com/",
        GHE_HOST: "github.example.com",
        GITHUB_API_URL: `http://127.0.0.1:${port}`, // nothing listens there
        JOB_WORKERS: "0",
      }),
      logger: silent,
      envFile: join(dir, ".env"),
    });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the manifest carries PUBLIC_URL and the form goes to the Enterprise host", async () => {
    const { action, manifest } = formOf(await (await fetch(`${server.url}/setup?org=acme`)).text());
    expect(action).toBe("https://github.example.com/organizations/acme/settings/apps/new");
    expect(manifest?.hook_attributes).toEqual({ url: "https://covenant.example.com/api/github/webhooks" });
    expect(manifest?.redirect_url).toBe("https://covenant.example.com/setup/callback");
  });

  test("GitHub out of reach gives 502 and writes nothing", async () => {
    const response = await fetch(`${server.url}/setup/callback?code=good`);
    expect(response.status).toBe(502);
    expect(await response.text()).toContain("could not reach GitHub");
    expect(existsSync(join(dir, ".env"))).toBe(false);
  });
});

describe("setup once the App is configured", () => {
  let dir: string;
  let server: RunningServer;
  let fake: Awaited<ReturnType<typeof startFakeConversions>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "covenant-setup-configured-"));
    fake = await startFakeConversions();
    server = await startServer({
      config: loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: `file:${join(dir, "setup.db")}`,
        APP_ID: "1",
        PRIVATE_KEY: PEM,
        WEBHOOK_SECRET: "secret",
        GITHUB_API_URL: fake.url,
        JOB_WORKERS: "0",
        ANALYSIS_THREADS: "0",
      }),
      logger: silent,
      envFile: join(dir, ".env"),
    });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("/setup and its callback are 404: the App is never registered again", async () => {
    expect((await fetch(`${server.url}/setup`)).status).toBe(404);
    expect((await fetch(`${server.url}/setup/callback?code=good`)).status).toBe(404);
    expect(fake.conformance.requests).toEqual([]);
    expect(existsSync(join(dir, ".env"))).toBe(false);
  });
});

describe("covenant serve", () => {
  test("reads .env under the environment and points at /setup when the App is not configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "covenant-serve-"));
    try {
      writeFileSync(
        join(dir, ".env"),
        `PUBLIC_URL=https://from-dotenv.example\nDATABASE_URL=file:${join(dir, "from-dotenv.db")}\n`,
      );
      let stderr = "";
      const listening = new Promise<void>((resolve) => {
        const io = {
          stdout: () => {},
          stderr: (text: string) => {
            stderr += text;
            if (text.includes("/setup")) resolve();
          },
          env: { DATABASE_URL: `file:${join(dir, "from-env.db")}`, HOST: "127.0.0.1", LOG_LEVEL: "silent" },
          cwd: dir,
          isTTY: false,
        };
        void buildProgram(io).parseAsync(["node", "covenant", "serve", "--port", "0"]);
      });
      await listening;
      expect(stderr).toContain("https://from-dotenv.example/setup");
      // The environment wins over .env.
      expect(existsSync(join(dir, "from-env.db"))).toBe(true);
      expect(existsSync(join(dir, "from-dotenv.db"))).toBe(false);
      process.emit("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stderr).toContain("shutting down");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
