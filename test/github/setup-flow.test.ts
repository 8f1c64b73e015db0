// Registering the App from app.yml (GitHub's manifest flow) on the real server: the setup page,
// the code exchange against a local fake of GitHub's conversions endpoint (checked against
// GitHub's OpenAPI description), .env merging, 404 once the App is configured, and the attacks on
// the flow: no setup token, a callback without state, with another browser's state, with a
// state the server never issued, replayed or expired, a forged Host header, and a callback once
// an App is registered.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildProgram } from "../../src/cli/program.ts";
import { githubAppConfigured, loadConfig } from "../../src/config.ts";
import { createSetupFlow } from "../../src/github/setup-flow.ts";
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

type Reply = { status: number; headers: IncomingHttpHeaders; body: string };

/** A GET that may carry any Host and Cookie header, as a forged request can. */
const get = (url: string, headers: Record<string, string> = {}): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });

/** A browser: keeps the cookie the setup page sets and sends it back. */
const browser = () => {
  let cookie: string | undefined;
  return {
    get: async (url: string, headers: Record<string, string> = {}) => {
      const reply = await get(url, { ...(cookie ? { cookie } : {}), ...headers });
      const set = reply.headers["set-cookie"]?.[0];
      if (set) cookie = set.split(";")[0];
      return reply;
    },
  };
};
type Browser = ReturnType<typeof browser>;

const tokenOf = (server: RunningServer) =>
  new URL(server.setupUrl ?? "http://x/").searchParams.get("token") ?? "";

/** Opens /setup with the token, as the operator does: the form GitHub receives, and its state. */
const startRegistration = async (b: Browser, server: RunningServer, query = "", headers = {}) => {
  const page = await b.get(
    `${server.url}/setup?token=${encodeURIComponent(tokenOf(server))}${query}`,
    headers,
  );
  const { action, manifest } = formOf(page.body);
  const state = action ? (new URL(action).searchParams.get("state") ?? "") : "";
  return { page, action, manifest, state };
};

/**
 * GitHub's POST /app-manifests/{code}/conversions: "good" converts into App 4242, "slow-N" into
 * App N after 300 ms (two registrations in flight), anything else is refused.
 */
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
      const code = /^\/app-manifests\/(good|slow-(\d+))\/conversions$/.exec(req.url ?? "");
      if (req.method === "POST" && code) {
        const id = code[2] ? Number(code[2]) : 4242;
        const answer = () => {
          res.writeHead(201);
          res.end(
            JSON.stringify({
              id,
              slug: id === 4242 ? "covenant-acme" : `covenant-${id}`,
              node_id: "A_1",
              name: "Covenant",
              html_url:
                id === 4242
                  ? "https://github.com/apps/covenant-acme"
                  : `https://github.com/apps/covenant-${id}`,
              pem: PEM,
              webhook_secret: "whsec-from-github",
              client_id: "Iv1.abc",
              client_secret: "shh",
            }),
          );
        };
        setTimeout(answer, code[2] ? 300 : 0);
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
  const logs: string[] = [];
  const BEFORE = "# local settings\nDATABASE_URL=file:./data/local.db\nexport LOG_LEVEL=debug\nAPP_ID=\n";
  const operator = browser();
  /** Started before the App is registered, finished after. */
  const late = browser();
  let lateState = "";

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
    const logger = pino({ level: "info" }, { write: (line: string) => logs.push(line) });
    server = await startServer({ config, logger, envFile });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the server logs where to register the App, with a setup token, when it starts", () => {
    expect(server.setupUrl).toMatch(new RegExp(`^${server.url}/setup\\?token=[A-Za-z0-9_-]{32}$`));
    expect(logs.join("")).toContain(server.setupUrl);
  });

  test("GET /setup without the setup token, or with a wrong one, asks for it and issues nothing", async () => {
    for (const query of ["", "?token=", `?token=${tokenOf(server).slice(0, -1)}x`]) {
      const response = await get(`${server.url}/setup${query}`);
      expect(response.status).toBe(403);
      expect(response.body).toContain("setup token");
      expect(response.headers["set-cookie"]).toBeUndefined();
      expect(formOf(response.body).manifest).toBeUndefined();
    }
  });

  test("GET /setup with the token posts app.yml's manifest, with a state bound to this browser", async () => {
    const { page, action, manifest, state } = await startRegistration(operator, server);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(action).toBe(`https://github.com/settings/apps/new?state=${state}`);
    const cookie = page.headers["set-cookie"]?.[0] ?? "";
    expect(cookie.split("; ")).toEqual(
      expect.arrayContaining([`covenant_setup_state=${state}`, "Path=/setup", "HttpOnly", "SameSite=Lax"]),
    );
    expect(cookie).not.toContain("Secure"); // plain http here; PUBLIC_URL https adds it (below)
    expect(manifest).toEqual({
      name: appYml.name,
      description: appYml.description,
      url: appYml.url,
      public: appYml.public,
      default_events: appYml.default_events,
      default_permissions: appYml.default_permissions,
      // No PUBLIC_URL: where the server listens.
      hook_attributes: { url: `${server.url}/api/github/webhooks` },
      redirect_url: `${server.url}/setup/callback`,
      // The console's "Sign in with GitHub" comes back here, through the App's OAuth client.
      callback_urls: [`${server.url}/auth/github/callback`],
      request_oauth_on_install: false,
    });
    // GitHub's manifest rules for these are checked in app-manifest.test.ts.
    expect(manifest?.default_events).not.toContain("installation");
    // Two pages, two states.
    expect((await startRegistration(operator, server)).state).not.toBe(state);
  });

  test("a Host header pointing elsewhere changes no URL", async () => {
    const { manifest, page } = await startRegistration(browser(), server, "", { host: "attacker.example" });
    expect(manifest?.hook_attributes).toEqual({ url: `${server.url}/api/github/webhooks` });
    expect(manifest?.redirect_url).toBe(`${server.url}/setup/callback`);
    expect(page.body).not.toContain("attacker.example");
  });

  test("?org= registers the App under the organization; a malformed one is refused", async () => {
    const { action, state } = await startRegistration(browser(), server, "&org=acme-data");
    expect(action).toBe(`https://github.com/organizations/acme-data/settings/apps/new?state=${state}`);
    const bad = await get(
      `${server.url}/setup?token=${tokenOf(server)}&org=${encodeURIComponent('"><script>')}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body).not.toContain("<script>");
  });

  test("a callback without state, from another browser, or with a state never issued writes nothing and asks GitHub nothing", async () => {
    const victim = browser();
    const { state } = await startRegistration(victim, server);
    const attacker = browser();
    await startRegistration(attacker, server); // its own, valid, state in its cookie

    const noState = await attacker.get(`${server.url}/setup/callback?code=good`);
    expect(noState.status).toBe(400);
    expect(noState.body).toContain("without it was not started from this server");

    // The victim's state, without the victim's cookie.
    const noCookie = await get(`${server.url}/setup/callback?code=good&state=${state}`);
    expect(noCookie.status).toBe(403);
    expect(noCookie.body).toContain("not started in this browser");
    expect(noCookie.body).toContain(`Open <code>${server.url}/setup</code>`);
    // The victim's state, with the attacker's own cookie.
    const otherBrowser = await attacker.get(`${server.url}/setup/callback?code=good&state=${state}`);
    expect(otherBrowser.status).toBe(403);
    // A state and a cookie that agree, but that this server never issued.
    const forged = "A".repeat(43);
    const made = await get(`${server.url}/setup/callback?code=good&state=${forged}`, {
      cookie: `covenant_setup_state=${forged}`,
    });
    expect(made.status).toBe(403);
    expect(made.body).toContain("already used, has expired");

    expect(readFileSync(envFile, "utf8")).toBe(BEFORE);
    expect(fake.conformance.requests).toEqual([]);
    // The victim's own registration is unharmed.
    lateState = (await startRegistration(late, server)).state;
    expect(lateState).not.toBe("");
  });

  test("a state is good once: a replay is refused, even after GitHub refused the code", async () => {
    const b = browser();
    const { state } = await startRegistration(b, server);
    const refused = await b.get(`${server.url}/setup/callback?code=expired&state=${state}`);
    expect(refused.status).toBe(502);
    expect(refused.body).toContain("GitHub refused the code: HTTP 404 Not Found");
    expect(refused.body).toContain("Nothing was written");
    const replay = await b.get(`${server.url}/setup/callback?code=good&state=${state}`);
    expect(replay.status).toBe(403);
    expect(replay.body).toContain("already used");
    expect(readFileSync(envFile, "utf8")).toBe(BEFORE);
    expect(fake.conformance.requests.map((r) => r.url)).toEqual(["/app-manifests/expired/conversions"]);
  });

  test("the callback exchanges the code and merges the App's credentials and OAuth client into .env (0600)", async () => {
    const { state } = await startRegistration(operator, server);
    const response = await operator.get(`${server.url}/setup/callback?code=good&state=${state}`);
    expect(response.status).toBe(200);
    expect(response.body).toContain("https://github.com/apps/covenant-acme");
    expect(response.body).toContain('href="https://github.com/apps/covenant-acme/installations/new"');
    expect(response.body).toMatch(/Restart <code>covenant serve<\/code>/);
    expect(response.headers["set-cookie"]?.[0]).toMatch(/^covenant_setup_state=; .*Max-Age=0/);

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
    expect(env).toMatchObject({
      APP_ID: "4242",
      WEBHOOK_SECRET: "whsec-from-github",
      GITHUB_CLIENT_ID: "Iv1.abc",
      GITHUB_CLIENT_SECRET: "shh",
      LOG_LEVEL: "debug",
    });
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

  test("once an App is registered, a callback with a valid state never overwrites it, and the code is not used up", async () => {
    const before = readFileSync(envFile, "utf8");
    const again = await late.get(`${server.url}/setup/callback?code=good&state=${lateState}`);
    expect(again.status).toBe(409);
    expect(again.body).toContain("does not overwrite them");
    expect(readFileSync(envFile, "utf8")).toBe(before);
    expect(fake.conformance.requests).toHaveLength(2);
    const page = await get(`${server.url}/setup?token=${tokenOf(server)}`);
    expect(page.body).toContain("Restart <code>covenant serve</code>");
    expect(formOf(page.body).manifest).toBeUndefined();
    // Without the token, nothing about this server's files.
    const stranger = await get(`${server.url}/setup`);
    expect(stranger.status).toBe(403);
    expect(stranger.body).not.toContain(dir);
  });
});

describe("two registrations finishing together", () => {
  test("the first one's App is written; the second is refused with 409 and told its App is unused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "covenant-setup-race-"));
    const fake = await startFakeConversions();
    const server = await startServer({
      config: loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: `file:${join(dir, "setup.db")}`,
        GITHUB_API_URL: fake.url,
        JOB_WORKERS: "0",
      }),
      logger: silent,
      envFile: join(dir, ".env"),
    });
    try {
      const [one, two] = [browser(), browser()];
      const states = [
        (await startRegistration(one, server)).state,
        (await startRegistration(two, server)).state,
      ];
      const replies = await Promise.all([
        one.get(`${server.url}/setup/callback?code=slow-1&state=${states[0]}`),
        two.get(`${server.url}/setup/callback?code=slow-2&state=${states[1]}`),
      ]);
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = replies.find((r) => r.status === 409);
      expect(loser?.body).toMatch(/covenant-[12]<\/a> is not used/);
      const env = parseEnv(readFileSync(join(dir, ".env"), "utf8"));
      const winner = replies[0]?.status === 200 ? "1" : "2";
      expect(env.APP_ID).toBe(winner);
    } finally {
      await server.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
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

  test("the setup URL, the manifest and the cookie follow PUBLIC_URL; the form goes to the Enterprise host", async () => {
    expect(server.setupUrl).toMatch(/^https:\/\/covenant\.example\.com\/setup\?token=/);
    const { action, manifest, state, page } = await startRegistration(browser(), server, "&org=acme");
    expect(action).toBe(`https://github.example.com/organizations/acme/settings/apps/new?state=${state}`);
    expect(manifest?.hook_attributes).toEqual({ url: "https://covenant.example.com/api/github/webhooks" });
    expect(manifest?.redirect_url).toBe("https://covenant.example.com/setup/callback");
    expect(page.headers["set-cookie"]?.[0]).toContain("; Secure");
  });

  test("GitHub out of reach gives 502 and writes nothing; the same state may try again", async () => {
    const b = browser();
    const { state } = await startRegistration(b, server);
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await b.get(`${server.url}/setup/callback?code=good&state=${state}`);
      expect(response.status).toBe(502);
      expect(response.body).toContain("could not reach GitHub");
    }
    expect(existsSync(join(dir, ".env"))).toBe(false);
  });
});

describe("PUBLIC_URL with a path (a proxy serving Covenant under /covenant)", () => {
  test("the cookie, the links and the manifest's URLs carry the path", async () => {
    const flow = createSetupFlow({
      config: loadConfig({ DATABASE_URL: "file::memory:" }),
      envFile: join(tmpdir(), "covenant-setup-prefix-unused.env"),
      baseUrl: () => "https://example.com/covenant",
    });
    // The proxy strips the prefix before Covenant sees the request.
    const server = createServer((req, res) => {
      void flow.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(flow.setupUrl()).toMatch(/^https:\/\/example\.com\/covenant\/setup\?token=/);
      const token = new URL(flow.setupUrl()).searchParams.get("token");
      const page = await get(`${base}/setup?token=${token}`);
      expect(page.headers["set-cookie"]?.[0]).toContain("; Path=/covenant/setup;");
      expect(formOf(page.body).manifest?.redirect_url).toBe("https://example.com/covenant/setup/callback");
      expect(formOf(page.body).manifest?.callback_urls).toEqual([
        "https://example.com/covenant/auth/github/callback",
      ]);
      expect(page.body).toContain('<form action="/covenant/setup" method="get">');
      const asked = await get(`${base}/setup`);
      expect(asked.body).toContain('<form action="/covenant/setup" method="get">');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("a registration left for more than an hour", () => {
  test("its state has expired", async () => {
    const dir = mkdtempSync(join(tmpdir(), "covenant-setup-expiry-"));
    let clock = Date.parse("2026-01-01T00:00:00Z");
    let exchanges = 0;
    const flow = createSetupFlow({
      config: loadConfig({ DATABASE_URL: "file::memory:" }),
      envFile: join(dir, ".env"),
      baseUrl: () => "https://covenant.example.com",
      now: () => clock,
      fetchImpl: async () => {
        exchanges++;
        return new Response("{}", { status: 500 });
      },
    });
    const server = createServer((req, res) => {
      void flow.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const b = browser();
      const token = new URL(flow.setupUrl()).searchParams.get("token");
      const page = await b.get(`${base}/setup?token=${token}`);
      const state = new URL(formOf(page.body).action ?? "").searchParams.get("state");
      clock += 61 * 60_000;
      const late = await b.get(`${base}/setup/callback?code=good&state=${state}`);
      expect(late.status).toBe(403);
      expect(late.body).toContain("has expired");
      expect(exchanges).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
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
      expect(stderr).toMatch(/https:\/\/from-dotenv\.example\/setup\?token=[A-Za-z0-9_-]{32}\n/);
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
