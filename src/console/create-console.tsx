import { randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { matchedRoutes } from "hono/route";
import type { AuthContext } from "../api/auth.ts";
import { type ApiKeyScope, findApiKeyBySecret, getApiKey } from "../db/api-keys.ts";
import type { Db } from "../db/client.ts";
import { findInstallationByGitHubId } from "../db/github-repositories.ts";
import { getInstallation, installationStopReason } from "../db/installations.ts";
import { type ApiCall, apiCaller } from "./api-client.ts";
import {
  authorizeUrl,
  completeSignIn,
  GITHUB_CALLBACK_PATH,
  type GitHubOAuth,
  isSignInError,
} from "./github-sign-in.ts";
import { Layout, type Viewer } from "./layout.tsx";
import { apiError, type PageContext } from "./page-context.ts";
import { contractPage, contractsPage } from "./pages/contracts.tsx";
import { loginPage } from "./pages/login.tsx";
import { analysesPage, dataPage, keysPage, scanPage } from "./pages/operations.tsx";
import { overviewPage } from "./pages/overview.tsx";
import { repositoriesPage, repositoryPage } from "./pages/repositories.tsx";
import { violationsPage } from "./pages/violations.tsx";
import {
  createSigner,
  newSessionId,
  OAUTH_COOKIE,
  randomSecret,
  SESSION_COOKIE,
  SESSION_HOURS,
  type Session,
} from "./session.ts";

export type ConsoleOptions = {
  db: Db;
  // biome-ignore lint/suspicious/noExplicitAny: the API app, whatever its environment type
  api: Hono<any>;
  /** Signs session cookies; a random one when unset (sessions then end when the process does). */
  sessionSecret?: string;
  /** This server's public base URL (PUBLIC_URL or where it listens): OAuth's redirect URI, Secure cookies. */
  baseUrl: () => string;
  /** GitHub's web address for links (github.com or the GHE_HOST server). */
  githubWeb: string;
  /** Set when the App's OAuth client is configured: GitHub sign-in. */
  github?: GitHubOAuth;
};

type ConsoleEnv = {
  Variables: { session: Session; auth: AuthContext; viewer: Viewer; call: ApiCall };
};

type Flash = { notice?: string; error?: string };
type SessionData = Session extends infer S ? (S extends Session ? Omit<S, "sid" | "exp"> : never) : never;

/**
 * The web console, served at / by the same server as the API. Pages are rendered on the server
 * (Hono JSX) from the documented /api/v1 routes, called in-process with the signed-in user's
 * context; forms post back here, are checked for CSRF, and call the same routes.
 */
export const createConsole = (options: ConsoleOptions): Hono<ConsoleEnv> => {
  const { db, api, githubWeb, github } = options;
  const signer = createSigner(options.sessionSecret ?? randomSecret());
  const app = new Hono<ConsoleEnv>();
  const secure = () => options.baseUrl().startsWith("https://");
  const cookieOptions = () => ({ httpOnly: true, sameSite: "Lax" as const, secure: secure(), path: "/" });

  app.use("*", async (c, next) => {
    await next();
    c.header(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
    c.header("Cache-Control", "no-store");
  });

  // A state-changing request from another site is refused outright (the browser always sends
  // Origin on a cross-site POST); the CSRF token below covers browsers and proxies that omit it.
  app.use("*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const origin = c.req.header("origin");
      const host = c.req.header("host");
      if (origin && origin !== "null" && host && new URL(origin).host !== host) {
        return c.html(page(c, "Refused", "This form was sent from another site; it was not accepted."), 403);
      }
      if (origin === "null")
        return c.html(page(c, "Refused", "A form without an origin was not accepted."), 403);
    }
    await next();
  });

  const page = (_c: Context, title: string, message: string) =>
    (
      <Layout title={title} error={message}>
        <h1>{title}</h1>
        <p>
          <a href="/">Back to the console</a>
        </p>
      </Layout>
    ).toString();

  const startSession = (c: Context, session: SessionData) => {
    const full = { ...session, sid: newSessionId(), exp: Date.now() + SESSION_HOURS * 3_600_000 } as Session;
    setCookie(c, SESSION_COOKIE, signer.sign(full), { ...cookieOptions(), maxAge: SESSION_HOURS * 3600 });
  };

  /** The API context of a session; null when the key was revoked or the installation stopped. */
  const authOf = async (session: Session): Promise<{ auth: AuthContext; installation: string } | null> => {
    if (session.via === "key") {
      const key = await getApiKey(db, session.keyId);
      if (!key || key.revokedAt) return null;
      const installation = await getInstallation(db, key.installationId);
      if (!installation || installationStopReason(installation)) return null;
      return {
        auth: {
          installationId: key.installationId,
          keyId: key.id,
          scope: key.scope as ApiKeyScope,
          actor: `api-key:${key.name}`,
        },
        installation: installation.accountLogin,
      };
    }
    const current = session.installations.find((i) => i.id === session.current);
    if (!current) return null;
    const installation = await getInstallation(db, current.id);
    if (!installation || installationStopReason(installation)) return null;
    return {
      auth: {
        installationId: current.id,
        keyId: `github:${session.login}`,
        scope: current.role === "admin" ? "admin" : "read",
        actor: `github:${session.login}`,
      },
      installation: installation.accountLogin,
    };
  };

  app.get("/login", (c) => {
    const error = c.req.query("error");
    return c.html(loginPage({ github: github !== undefined, error, notice: c.req.query("notice") }));
  });

  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    if (!key)
      return c.html(loginPage({ github: github !== undefined, error: "Paste an API key to sign in." }), 400);
    // The key goes through the API's own authentication (and its throttling of failed attempts).
    const res = await api.request(
      "/api/v1/installations",
      { headers: { authorization: `Bearer ${key}` } },
      { incoming: (c.env as { incoming?: unknown } | undefined)?.incoming },
    );
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      const status = res.status === 429 ? 429 : 401;
      return c.html(
        loginPage({ github: github !== undefined, error: body.message ?? "Sign-in failed." }),
        status,
      );
    }
    const row = await findApiKeyBySecret(db, key);
    if (!row) return c.html(loginPage({ github: github !== undefined, error: "Invalid API key." }), 401);
    startSession(c, { via: "key", keyId: row.id });
    return c.redirect("/overview", 303);
  });

  app.get("/auth/github", (c) => {
    if (!github) return c.redirect("/login?error=GitHub+sign-in+is+not+configured", 303);
    const state = randomBytes(18).toString("base64url");
    setCookie(c, OAUTH_COOKIE, signer.sign({ state, exp: Date.now() + 600_000 }), {
      ...cookieOptions(),
      maxAge: 600,
    });
    return c.redirect(
      authorizeUrl(github, { redirectUri: `${options.baseUrl()}${GITHUB_CALLBACK_PATH}`, state }),
      302,
    );
  });

  app.get(GITHUB_CALLBACK_PATH, async (c) => {
    if (!github) return c.redirect("/login", 303);
    const expected = signer.verify<{ state: string }>(getCookie(c, OAUTH_COOKIE));
    deleteCookie(c, OAUTH_COOKIE, { path: "/" });
    const code = c.req.query("code");
    if (!expected || !code || c.req.query("state") !== expected.state) {
      const denied = c.req.query("error_description");
      return c.html(
        loginPage({
          github: true,
          error: denied ?? "The GitHub sign-in expired or did not start here; sign in again.",
        }),
        400,
      );
    }
    try {
      const result = await completeSignIn(github, {
        code,
        redirectUri: `${options.baseUrl()}${GITHUB_CALLBACK_PATH}`,
        known: async (githubId) => {
          const row = await findInstallationByGitHubId(db, githubId);
          return row && !installationStopReason(row) ? { id: row.id, login: row.accountLogin } : null;
        },
      });
      if (result.installations.length === 0) {
        return c.html(
          loginPage({
            github: true,
            error: `Signed in to GitHub as ${result.login}, but none of the accounts the Covenant App is installed on are yours to see. Ask an organization owner to install the App, or to give you access.`,
          }),
          403,
        );
      }
      startSession(c, {
        via: "github",
        login: result.login,
        installations: result.installations,
        current: result.installations[0]!.id,
      });
      return c.redirect("/overview", 303);
    } catch (error) {
      const message = isSignInError(error)
        ? error.message
        : `Covenant could not reach GitHub to finish the sign-in (${(error as Error).message}).`;
      return c.html(loginPage({ github: true, error: message }), 502);
    }
  });

  // Everything below needs a session. A path no page answers is 404 first, signed in or not: a
  // visitor is sent to sign in only for a page that exists (and /setup, served elsewhere before
  // the App is configured, is 404 here afterwards).
  app.use("*", async (c, next) => {
    if (!matchedRoutes(c).some((route) => route.method !== "ALL")) return c.notFound();
    const session = signer.verify<Session>(getCookie(c, SESSION_COOKIE));
    const resolved = session ? await authOf(session) : null;
    if (!session || !resolved) {
      if (session) deleteCookie(c, SESSION_COOKIE, { path: "/" });
      if (c.req.method === "GET") return c.redirect("/login", 303);
      return c.html(page(c, "Signed out", "Your session ended; sign in again."), 401);
    }
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!signer.checkCsrf(session.sid, form._csrf)) {
        return c.html(
          page(c, "Refused", "The form's security token is missing or stale: reload the page and try again."),
          403,
        );
      }
    }
    c.set("session", session);
    c.set("auth", resolved.auth);
    c.set("viewer", {
      name: session.via === "key" ? resolved.auth.actor.replace(/^api-key:/, "key ") : session.login,
      installation: resolved.installation,
      scope: resolved.auth.scope,
      csrf: signer.csrfToken(session.sid),
      installations:
        session.via === "github"
          ? session.installations.map((i) => ({
              id: i.id,
              login: i.login,
              current: i.id === session.current,
            }))
          : undefined,
    });
    c.set(
      "call",
      apiCaller(api, resolved.auth, { incoming: (c.env as { incoming?: unknown } | undefined)?.incoming }),
    );
    await next();
  });

  const ctxOf = (c: Context<ConsoleEnv>): PageContext => ({
    call: c.get("call"),
    viewer: c.get("viewer"),
    url: new URL(c.req.url),
    githubWeb,
  });
  const flashOf = (c: Context): Flash => ({ notice: c.req.query("notice"), error: c.req.query("error") });
  const html = async (c: Context, body: unknown, status = 200) => c.html(String(await body), status as 200);

  app.post("/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login?notice=Signed+out", 303);
  });

  app.post("/switch", async (c) => {
    const session = c.get("session");
    const form = await c.req.parseBody();
    if (session.via === "github" && session.installations.some((i) => i.id === form.installation)) {
      const { sid: _sid, exp: _exp, ...rest } = session;
      startSession(c, { ...rest, current: String(form.installation) });
    }
    return c.redirect("/overview", 303);
  });

  app.get("/", (c) => c.redirect("/overview", 303));
  app.get("/overview", (c) => html(c, overviewPage(ctxOf(c))));
  app.get("/repositories", (c) => html(c, repositoriesPage(ctxOf(c), flashOf(c))));
  app.get("/repositories/:owner/:repo", (c) =>
    html(c, repositoryPage(ctxOf(c), c.req.param("owner"), c.req.param("repo"), flashOf(c))),
  );
  app.get("/contracts", (c) => html(c, contractsPage(ctxOf(c), flashOf(c))));
  app.get("/contracts/:id", (c) => html(c, contractPage(ctxOf(c), c.req.param("id"), flashOf(c))));
  app.get("/violations", (c) => html(c, violationsPage(ctxOf(c), flashOf(c))));
  app.get("/analyses", (c) => html(c, analysesPage(ctxOf(c), flashOf(c))));
  app.get("/data", (c) => html(c, dataPage(ctxOf(c), flashOf(c))));
  app.get("/scans/:id", (c) => html(c, scanPage(ctxOf(c), c.req.param("id"), flashOf(c))));
  app.get("/keys", (c) => html(c, keysPage(ctxOf(c), flashOf(c))));

  /** Runs an API call for a form and goes back to `to` with what happened. */
  const act = async (
    c: Context<ConsoleEnv>,
    call: (api: ApiCall, form: Record<string, string>) => ReturnType<ApiCall>,
    { to, done }: { to: string | ((body: unknown) => string); done: string },
  ) => {
    const raw = await c.req.parseBody();
    const form = Object.fromEntries(
      Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    const res = await call(c.get("call"), form);
    const target = typeof to === "string" ? to : res.ok ? to(res.body) : to(undefined);
    const sep = target.includes("?") ? "&" : "?";
    const message = res.ok
      ? `notice=${encodeURIComponent(done)}`
      : `error=${encodeURIComponent(apiError(res.body))}`;
    return c.redirect(`${target}${sep}${message}`, 303);
  };
  const orNull = (value: string | undefined) => (value ? value : null);

  app.post("/repositories/:owner/:repo/policy", (c) => {
    const { owner, repo } = c.req.param();
    const back = c.req.header("referer")?.includes(`/repositories/${owner}/${repo}`)
      ? `/repositories/${owner}/${repo}`
      : "/repositories";
    return act(
      c,
      (call, f) => call("PUT", `/repos/${owner}/${repo}/policy`, { max: orNull(f.max), min: orNull(f.min) }),
      {
        to: back,
        done: `Policy of ${owner}/${repo} saved.`,
      },
    );
  });

  app.post("/contracts", async (c) => {
    const form = await c.req.parseBody();
    const contents = typeof form.contents === "string" ? form.contents : "";
    const res = await c.get("call")("POST", "/contracts", { contents });
    if (!res.ok)
      return html(c, contractsPage(ctxOf(c), { error: apiError(res.body), draft: contents }), res.status);
    return c.redirect(
      `/contracts/${res.body.id}?notice=${encodeURIComponent(`Contract ${res.body.name} registered as a draft.`)}`,
      303,
    );
  });
  for (const action of ["activate", "archive"] as const) {
    app.post(`/contracts/:id/${action}`, (c) => {
      const id = c.req.param("id");
      return act(c, (call) => call("POST", `/contracts/${id}/${action}`), {
        to: `/contracts/${id}`,
        done: action === "activate" ? "Contract activated." : "Contract archived.",
      });
    });
  }
  app.post("/contracts/:id/deprecate", (c) => {
    const id = c.req.param("id");
    return act(
      c,
      (call, f) =>
        call("POST", `/contracts/${id}/deprecate`, {
          reason: f.reason ?? "",
          ...(f.successor_contract_id ? { successor_contract_id: f.successor_contract_id } : {}),
        }),
      { to: `/contracts/${id}`, done: "Contract deprecated." },
    );
  });
  app.post("/contracts/:id/enforcement", (c) => {
    const id = c.req.param("id");
    return act(c, (call, f) => call("PUT", `/contracts/${id}`, { enforcement: f.enforcement }), {
      to: `/contracts/${id}`,
      done: "Enforcement level saved.",
    });
  });
  app.post("/contracts/:id/versions", (c) => {
    const id = c.req.param("id");
    return act(
      c,
      (call, f) =>
        call("POST", `/contracts/${id}/versions`, {
          contents: f.contents ?? "",
          ...(f.changelog ? { changelog: f.changelog } : {}),
        }),
      { to: `/contracts/${id}`, done: "New version published." },
    );
  });
  for (const action of ["assign", "unassign"] as const) {
    app.post(`/contracts/:id/${action}`, (c) => {
      const id = c.req.param("id");
      return act(
        c,
        (call, f) =>
          call("POST", `/contracts/${id}/${action}`, {
            resource_type: f.resource_type,
            resource_id: f.resource_id,
          }),
        { to: `/contracts/${id}`, done: action === "assign" ? "Assigned." : "Unassigned." },
      );
    });
  }
  app.post("/contracts/:id/verify", (c) => {
    const id = c.req.param("id");
    return act(
      c,
      (call, f) =>
        call("POST", `/contracts/${id}/verify`, {
          source_id: f.source_id,
          ...(f.table ? { table: f.table } : {}),
        }),
      {
        to: (body) => (body ? `/scans/${(body as { id: string }).id}` : `/contracts/${id}`),
        done: "Scan started.",
      },
    );
  });
  app.post("/violations/:id/triage", (c) => {
    const id = c.req.param("id");
    const back = (c.req.header("referer") ?? "")
      .replace(/^https?:\/\/[^/]+/, "")
      .replace(/[?&](notice|error)=[^&]*/g, "");
    return act(
      c,
      (call, f) =>
        f.action === "acknowledge"
          ? call("POST", `/contract-violations/${id}/acknowledge`, f.notes ? { notes: f.notes } : {})
          : call("POST", `/contract-violations/${id}/resolve`, {
              resolution: "resolved in the console",
              ...(f.notes ? { notes: f.notes } : {}),
            }),
      { to: back.startsWith("/violations") ? back : "/violations", done: "Violation updated." },
    );
  });
  app.post("/analyses/:id/rerun", (c) => {
    const id = c.req.param("id");
    return act(c, (call) => call("POST", `/analyses/${id}/rerun`), {
      to: "/analyses",
      done: "Analysis queued again.",
    });
  });
  app.post("/sources", (c) =>
    act(
      c,
      (call, f) =>
        call("POST", "/sources", {
          name: f.name,
          ...(f.location ? { location: f.location } : {}),
          ...(f.location_env ? { location_env: f.location_env } : {}),
        }),
      { to: "/data", done: "Data source registered." },
    ),
  );
  app.post("/scans/:id/cancel", (c) => {
    const id = c.req.param("id");
    return act(c, (call) => call("POST", `/scans/${id}/cancel`), {
      to: `/scans/${id}`,
      done: "Cancellation requested.",
    });
  });
  app.post("/keys", async (c) => {
    const form = await c.req.parseBody();
    const res = await c.get("call")("POST", "/api-keys", { name: form.name, scope: form.scope });
    if (!res.ok) return html(c, keysPage(ctxOf(c), { error: apiError(res.body) }), res.status);
    // Rendered, not redirected: the secret must not travel in a URL or be shown twice.
    return html(c, keysPage(ctxOf(c), { notice: `Key ${res.body.name} created.`, secret: res.body.key }));
  });
  app.post("/keys/:id/revoke", (c) => {
    const id = c.req.param("id");
    return act(c, (call) => call("DELETE", `/api-keys/${id}`), { to: "/keys", done: "Key revoked." });
  });

  app.notFound((c) =>
    c.html(
      page(
        c,
        "Not found",
        c.req.path === "/setup" || c.req.path.startsWith("/setup/")
          ? "The GitHub App is already configured (APP_ID is set): /setup registers an App only once."
          : `No page at ${c.req.path}.`,
      ),
      404,
    ),
  );
  return app;
};
