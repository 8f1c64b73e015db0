// Registers the GitHub App from app.yml through GitHub's "register a GitHub App from a manifest"
// flow, as Probot's own setup page does (that page is internal to probot, so we serve ours):
// GET /setup posts the manifest to GitHub, GitHub redirects to GET /setup/callback?code=…&state=…,
// and the code is exchanged for the App's id, private key, webhook secret and OAuth client,
// written to .env. Only mounted while the App is not configured: a configured server never
// registers again.
//
// Whoever completes the callback decides which App's webhook secret this server trusts, so the
// flow is guarded twice: /setup needs the setup token printed in the log at start (reaching the
// server is not enough), and the callback needs the state /setup gave that browser (an HttpOnly
// SameSite cookie matching the form's `state`, issued here, used once, expiring with GitHub's
// one-hour code). URLs come from PUBLIC_URL or the listening address, never the Host header.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseEnv } from "node:util";
import type { Logger } from "pino";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { type Config, githubApiUrl } from "../config.ts";
import { USER_AGENT } from "../version.ts";

export const SETUP_PATH = "/setup";
export const SETUP_CALLBACK_PATH = "/setup/callback";
const WEBHOOK_PATH = "/api/github/webhooks";
const APP_YML = new URL("../../app.yml", import.meta.url);
/** What the callback writes to .env; the OAuth client is for signing in to the console. */
const CREDENTIAL_KEYS = [
  "APP_ID",
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "GITHUB_CLIENT_ID",
  "GITHUB_CLIENT_SECRET",
] as const;
type CredentialKey = (typeof CREDENTIAL_KEYS)[number];
const STATE_COOKIE = "covenant_setup_state";
/** GitHub's code lives an hour too. */
const STATE_TTL_MS = 60 * 60_000;
/** Only token holders get states; the cap bounds memory all the same (oldest dropped). */
const MAX_STATES = 32;

/** Delivered to every App; GitHub refuses a manifest whose default_events lists one. */
export const AUTOMATIC_EVENTS = [
  "installation",
  "installation_repositories",
  "installation_target",
  "github_app_authorization",
  "meta",
  "ping",
] as const;

const AppYmlSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  url: z.string().url(),
  public: z.boolean().default(false),
  default_events: z.array(z.string()).superRefine((events, ctx) => {
    const automatic = events.filter((event) => (AUTOMATIC_EVENTS as readonly string[]).includes(event));
    if (automatic.length > 0)
      ctx.addIssue({
        code: "custom",
        message: `app.yml default_events lists ${automatic.join(", ")}: GitHub refuses that, and these are delivered to every App anyway; remove them`,
      });
  }),
  default_permissions: z.record(z.string(), z.enum(["read", "write", "admin"])),
  /** Paths on this server GitHub may send an OAuth sign-in back to (the console's callback). */
  callback_urls: z
    .array(z.string().regex(/^\/[^/]/, "a path on this server, starting with /"))
    .max(10, "GitHub accepts at most 10 callback URLs")
    .default([]),
  request_oauth_on_install: z.boolean().default(false),
});

/** The manifest GitHub receives: app.yml plus the URLs of this server. */
export type AppManifest = Omit<z.infer<typeof AppYmlSchema>, "callback_urls"> & {
  callback_urls: string[];
  hook_attributes: { url: string };
  redirect_url: string;
};

const ConversionSchema = z.object({
  id: z.number().int(),
  slug: z.string(),
  html_url: z.string().url(),
  pem: z.string().min(1),
  webhook_secret: z.string().nullish(),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
});
type Conversion = z.infer<typeof ConversionSchema>;

export const buildManifest = (baseUrl: string, appYml = readFileSync(APP_YML, "utf8")): AppManifest => {
  const app = AppYmlSchema.parse(parseYaml(appYml));
  return {
    ...app,
    callback_urls: app.callback_urls.map((path) => `${baseUrl}${path}`),
    hook_attributes: { url: `${baseUrl}${WEBHOOK_PATH}` },
    redirect_url: `${baseUrl}${SETUP_CALLBACK_PATH}`,
  };
};

const githubWebUrl = (config: Config): string =>
  config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : "https://github.com";

// GitHub logins: alphanumerics and single hyphens, up to 39 characters.
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const sendPage = (
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // The token and the state are in this page's URL: never send it on.
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    ...headers,
  });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f6f8fa;padding:1rem;overflow:auto}code{background:#f6f8fa}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`);
};

const digest = (text: string) => createHash("sha256").update(text).digest();
/** Equal, in a time that does not depend on where they differ (hashing evens out the lengths). */
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

const cookieValue = (req: IncomingMessage, name: string): string | undefined => {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
};

/** States this server issued: each is good once, for one hour. */
const createStates = (now: () => number) => {
  const expiries = new Map<string, number>();
  const prune = () => {
    for (const [state, expires] of expiries) if (expires <= now()) expiries.delete(state);
    while (expiries.size >= MAX_STATES) expiries.delete(expiries.keys().next().value as string);
  };
  return {
    issue: (): string => {
      prune();
      const state = randomBytes(32).toString("base64url");
      expiries.set(state, now() + STATE_TTL_MS);
      return state;
    },
    /** Takes the state out; `restore` gives it back when the attempt failed on our side. */
    take: (state: string): { restore: () => void } | undefined => {
      const expires = expiries.get(state);
      expiries.delete(state);
      if (expires === undefined || expires <= now()) return undefined;
      return { restore: () => expiries.set(state, expires) };
    },
  };
};

const KEY_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

const readEnvFile = (envFile: string): { text: string; values: Record<string, string | undefined> } => {
  const text = existsSync(envFile) ? readFileSync(envFile, "utf8") : "";
  return { text, values: parseEnv(text) };
};

/** Credential keys already set in .env: never overwritten. */
const conflictingKeys = (envFile: string): string[] => {
  const { values } = readEnvFile(envFile);
  return [...CREDENTIAL_KEYS, "PRIVATE_KEY_PATH"].filter((key) => (values[key] ?? "").trim() !== "");
};

/**
 * Merges the App's credentials into .env, keeping every other line; the file holds a private key
 * and two secrets, so 0600. Writes nothing, and returns the keys found, when credentials appeared
 * meanwhile (another registration finished first).
 */
const writeCredentials = ({
  envFile,
  conversion,
  webhookSecret,
}: {
  envFile: string;
  conversion: Conversion;
  webhookSecret: string;
}): { conflicts: string[] } => {
  const conflicts = conflictingKeys(envFile);
  if (conflicts.length > 0) return { conflicts };
  const values: Record<CredentialKey, string> = {
    APP_ID: String(conversion.id),
    // One line: the app turns the `\n` escapes back into newlines (src/github/create-github-app.ts).
    PRIVATE_KEY: conversion.pem.trim().replace(/\r?\n/g, "\\n"),
    WEBHOOK_SECRET: webhookSecret,
    GITHUB_CLIENT_ID: conversion.client_id,
    GITHUB_CLIENT_SECRET: conversion.client_secret,
  };
  const { text } = readEnvFile(envFile);
  const written = new Set<string>();
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const merged = lines.map((line) => {
    const key = CREDENTIAL_KEYS.find((k) => k === KEY_LINE.exec(line)?.[1]);
    if (key === undefined) return line;
    written.add(key);
    return `${key}=${values[key]}`;
  });
  const added = CREDENTIAL_KEYS.filter((key) => !written.has(key)).map((key) => `${key}=${values[key]}`);
  if (added.length > 0)
    merged.push(
      `# GitHub App ${conversion.slug} (${conversion.html_url}), registered from app.yml`,
      ...added,
    );
  // A fresh name, created exclusively: a file or link planted at a predictable name is never followed.
  const temporary = `${envFile}.${randomBytes(8).toString("hex")}.tmp`;
  writeFileSync(temporary, `${merged.join("\n")}\n`, { mode: 0o600, flag: "wx" });
  renameSync(temporary, envFile);
  return { conflicts: [] };
};

type Exchange = { ok: true; conversion: Conversion } | { ok: false; reason: string; unreachable?: true };

const exchangeCode = async (config: Config, code: string, fetchImpl: typeof fetch): Promise<Exchange> => {
  const url = `${githubApiUrl(config)}/app-manifests/${encodeURIComponent(code)}/conversions`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: {
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": USER_AGENT,
      },
      signal: AbortSignal.timeout(20_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      unreachable: true,
      reason: `Covenant could not reach GitHub at ${githubApiUrl(config)} (${cause}).`,
    };
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text.slice(0, 200);
    try {
      message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
    } catch {}
    return { ok: false, reason: `GitHub refused the code: HTTP ${response.status} ${message}.` };
  }
  try {
    return { ok: true, conversion: ConversionSchema.parse(JSON.parse(text)) };
  } catch {
    return {
      ok: false,
      reason: "GitHub's answer did not hold the App's id, private key, webhook secret and OAuth client.",
    };
  }
};

type States = ReturnType<typeof createStates>;

/** /setup as the browser sees it: under PUBLIC_URL's path when a proxy serves Covenant below one. */
const setupPathOf = (baseUrl: string) => `${new URL(baseUrl).pathname.replace(/\/+$/, "")}${SETUP_PATH}`;

const tokenPage = (
  res: ServerResponse,
  { baseUrl, org, wrong }: { baseUrl: string; org: string; wrong: boolean },
) =>
  sendPage(
    res,
    403,
    wrong ? "Wrong setup token" : "Setup token needed",
    `<p>${wrong ? "That is not this server's setup token." : "Registering the App needs the setup token."} <code>covenant serve</code> printed it when it started, in the line that gives the address <code>${SETUP_PATH}?token=…</code>: open that address, or paste the token here. It changes at every start.</p>
<form action="${setupPathOf(baseUrl)}" method="get"><p><input name="token" type="password" autocomplete="off" required aria-label="setup token"> <input type="hidden" name="org" value="${escapeHtml(org)}"><button type="submit">Continue</button></p></form>`,
  );

const setupPage = ({
  config,
  baseUrl,
  states,
  url,
  token,
  res,
}: {
  config: Config;
  baseUrl: string;
  states: States;
  url: URL;
  token: string;
  res: ServerResponse;
}) => {
  const org = url.searchParams.get("org") ?? "";
  if (org !== "" && !ORG_LOGIN.test(org)) {
    return sendPage(
      res,
      400,
      "Not an organization name",
      `<p>"${escapeHtml(org)}" is not a GitHub organization login. <a href="${setupPathOf(baseUrl)}?token=${encodeURIComponent(token)}">Back</a></p>`,
    );
  }
  const manifest = buildManifest(baseUrl);
  const state = states.issue();
  const action = `${githubWebUrl(config)}${org ? `/organizations/${org}` : ""}/settings/apps/new?state=${state}`;
  const reachable = /^https:\/\//.test(baseUrl) && !/^https:\/\/(localhost|127\.|\[::1\])/.test(baseUrl);
  // Lax, not Strict: the callback is a top-level redirect from GitHub, where Strict cookies are not sent.
  const cookie = `${STATE_COOKIE}=${state}; Path=${setupPathOf(baseUrl)}; Max-Age=${STATE_TTL_MS / 1000}; HttpOnly; SameSite=Lax${baseUrl.startsWith("https://") ? "; Secure" : ""}`;
  const json = JSON.stringify(manifest, null, 2);
  sendPage(
    res,
    200,
    "Register the Covenant GitHub App",
    `<p>This registers a GitHub App ${org ? `owned by the organization <b>${escapeHtml(org)}</b>` : "owned by your GitHub account"} from <code>app.yml</code>: exactly the events and permissions Covenant uses. GitHub will send webhooks to <code>${escapeHtml(manifest.hook_attributes.url)}</code>.</p>
<p>An App for an organization must be created under the organization: use the organization form below (you need to be an owner or GitHub App manager of it).</p>
${reachable ? "" : `<p><b>GitHub must be able to reach that URL.</b> Set <code>PUBLIC_URL</code> to this server's public https address (or a tunnel's) and restart <code>covenant serve</code> before registering.</p>`}
<form action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register on ${escapeHtml(new URL(action).host)}</button>
</form>
<p>Finish in this browser within an hour: the registration is tied to it.</p>
<form action="${setupPathOf(baseUrl)}" method="get"><p>For an organization instead: <input name="org" placeholder="organization login" value="${escapeHtml(org)}" pattern="[A-Za-z0-9][A-Za-z0-9\\-]{0,38}"><input type="hidden" name="token" value="${escapeHtml(token)}"> <button type="submit">Use it</button></p></form>
<details><summary>The manifest</summary><pre>${escapeHtml(json)}</pre></details>`,
    { "set-cookie": cookie },
  );
};

const startAgain = (baseUrl: string) =>
  `<a href="${setupPathOf(baseUrl)}">${setupPathOf(baseUrl)}</a> (with the setup token)`;

/**
 * The state GitHub hands back must be one this server issued to this very browser and not used
 * yet; otherwise someone else's App could be written into .env. Answers the refusal itself.
 */
const takeState = ({
  req,
  url,
  res,
  states,
  baseUrl,
}: {
  req: IncomingMessage;
  url: URL;
  res: ServerResponse;
  states: States;
  baseUrl: string;
}): { restore: () => void } | undefined => {
  const state = url.searchParams.get("state") ?? "";
  if (state === "") {
    sendPage(
      res,
      400,
      "No state",
      `<p>GitHub comes back here with the <code>state</code> that ${SETUP_PATH} put in its form; a request without it was not started from this server, and is refused. Start from ${startAgain(baseUrl)}.</p>`,
    );
    return undefined;
  }
  const cookie = cookieValue(req, STATE_COOKIE) ?? "";
  if (!sameSecret(cookie, state)) {
    sendPage(
      res,
      403,
      "Not started in this browser",
      `<p>This registration was not started in this browser (its <code>state</code> does not match the one ${SETUP_PATH} gave this browser), so Covenant does not take the App's credentials from it. Open <code>${escapeHtml(baseUrl)}${SETUP_PATH}</code> (with the setup token) in the browser you register the App with — at that address, where GitHub comes back to: a browser sends the registration's cookie only to the address it got it from — and finish there.</p>`,
    );
    return undefined;
  }
  const taken = states.take(state);
  if (!taken) {
    sendPage(
      res,
      403,
      "Registration link used or expired",
      `<p>This registration link was already used, has expired (after an hour), or was issued before the server restarted. Start again from ${startAgain(baseUrl)}; delete the App GitHub may have created, in its settings, if you do not need it.</p>`,
    );
  }
  return taken;
};

const callbackPage = async ({
  config,
  req,
  url,
  res,
  states,
  baseUrl,
  envFile,
  fetchImpl,
  logger,
}: {
  config: Config;
  req: IncomingMessage;
  url: URL;
  res: ServerResponse;
  states: States;
  baseUrl: string;
  envFile: string;
  fetchImpl: typeof fetch;
  logger?: Logger;
}) => {
  const taken = takeState({ req, url, res, states, baseUrl });
  if (!taken) {
    logger?.warn("GitHub App registration: callback refused, its state was not issued to this browser");
    return;
  }
  // Checked before the code is exchanged, which uses it up: the code and the state stay good.
  const conflicts = conflictingKeys(envFile);
  if (conflicts.length > 0) {
    taken.restore();
    return sendPage(
      res,
      409,
      "App credentials already in .env",
      `<p><code>${escapeHtml(envFile)}</code> already sets ${conflicts.map((k) => `<code>${k}</code>`).join(", ")}, and Covenant does not overwrite them. Restart <code>covenant serve</code> to use them, or remove them from the file and reload this page (within an hour of creating the App) to use the new App.</p>`,
    );
  }
  const code = url.searchParams.get("code") ?? "";
  if (code === "") {
    taken.restore();
    return sendPage(
      res,
      400,
      "No code",
      `<p>GitHub sends a <code>code</code> here after you create the App. Start from ${startAgain(baseUrl)}.</p>`,
    );
  }
  const exchange = await exchangeCode(config, code, fetchImpl);
  if (!exchange.ok) {
    if (exchange.unreachable) taken.restore();
    logger?.warn({ reason: exchange.reason }, "GitHub App registration: code exchange failed");
    return sendPage(
      res,
      502,
      "The App's credentials could not be fetched",
      `<p>${escapeHtml(exchange.reason)}</p>
<p>Nothing was written. ${exchange.unreachable ? "A code works once and for one hour: reload this page when GitHub can be reached." : `Register again from ${startAgain(baseUrl)} (delete the App GitHub may already have created, in its settings, if you do not need it).`}</p>`,
    );
  }
  const { conversion } = exchange;
  // A manifest with hook_attributes gets a secret from GitHub; should it not, ours must be set on the App.
  const generated = conversion.webhook_secret ? undefined : randomBytes(32).toString("hex");
  const html = escapeHtml(conversion.html_url);
  try {
    const { conflicts: late } = writeCredentials({
      envFile,
      conversion,
      webhookSecret: conversion.webhook_secret ?? generated!,
    });
    if (late.length > 0) {
      logger?.warn({ appId: conversion.id }, "GitHub App registration: another App was written first");
      return sendPage(
        res,
        409,
        "Another registration finished first",
        `<p>While GitHub created this App, another registration wrote its credentials (${late.map((k) => `<code>${k}</code>`).join(", ")}) to <code>${escapeHtml(envFile)}</code>, and Covenant does not overwrite them. The App <a href="${html}">${escapeHtml(conversion.slug)}</a> is not used: delete it in its settings.</p>`,
      );
    }
  } catch (error) {
    logger?.error({ err: error }, "GitHub App registration: writing .env failed");
    return sendPage(
      res,
      500,
      "The App was created, but .env could not be written",
      `<p>${escapeHtml(error instanceof Error ? error.message : String(error))}</p>
<p>In the <a href="${escapeHtml(conversion.html_url)}">App's settings</a>, generate a private key and a client secret and set a webhook secret, then set <code>APP_ID=${conversion.id}</code>, <code>PRIVATE_KEY_PATH</code>, <code>WEBHOOK_SECRET</code>, <code>GITHUB_CLIENT_ID</code> and <code>GITHUB_CLIENT_SECRET</code> and restart <code>covenant serve</code>.</p>`,
    );
  }
  logger?.info(
    { appId: conversion.id, slug: conversion.slug, envFile },
    "GitHub App registered; credentials written",
  );
  sendPage(
    res,
    200,
    `The GitHub App ${conversion.slug} was created`,
    `<p>App <a href="${html}">${html}</a> (id ${conversion.id}) is registered. Its id, private key, webhook secret and OAuth client id and secret were written to <code>${escapeHtml(envFile)}</code>; keep that file secret.</p>
${generated ? `<p><b>GitHub returned no webhook secret:</b> set the one now in <code>WEBHOOK_SECRET</code> in the <a href="${html}">App's settings</a>.</p>` : ""}
<ol>
<li>Restart <code>covenant serve</code> so the credentials load (variables already set in the environment win over <code>.env</code>).</li>
<li><a href="${html}/installations/new">Install the App</a> on the organization or the repositories that hold migrations, dbt projects or contracts.</li>
</ol>`,
    { "set-cookie": `${STATE_COOKIE}=; Path=${setupPathOf(baseUrl)}; Max-Age=0; HttpOnly; SameSite=Lax` },
  );
};

export type SetupFlow = {
  /** Answers /setup and /setup/callback; false for any other request. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** /setup with the setup token: print it where the operator, and only they, can read it. */
  setupUrl: () => string;
};

/**
 * The setup routes, for a server whose App is not configured. `baseUrl` is this server's public
 * address (PUBLIC_URL, or where it listens); `envFile` is where the credentials go (.env in the
 * working directory for `covenant serve`).
 */
export const createSetupFlow = ({
  config,
  envFile,
  baseUrl,
  logger,
  fetchImpl = fetch,
  now = Date.now,
}: {
  config: Config;
  envFile: string;
  baseUrl: () => string;
  logger?: Logger;
  fetchImpl?: typeof fetch;
  now?: () => number;
}): SetupFlow => {
  const token = randomBytes(24).toString("base64url");
  const states = createStates(now);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://setup.local");
    if (req.method !== "GET") return false;
    if (url.pathname === SETUP_PATH) {
      const given = url.searchParams.get("token");
      if (given === null || !sameSecret(given, token)) {
        tokenPage(res, { baseUrl: baseUrl(), org: url.searchParams.get("org") ?? "", wrong: given !== null });
        return true;
      }
      const registered = conflictingKeys(envFile);
      if (registered.length > 0) {
        sendPage(
          res,
          200,
          "App credentials already in .env",
          `<p><code>${escapeHtml(envFile)}</code> sets ${registered.map((k) => `<code>${k}</code>`).join(", ")}. Restart <code>covenant serve</code> so they load.</p>`,
        );
        return true;
      }
      setupPage({ config, baseUrl: baseUrl(), states, url, token, res });
      return true;
    }
    if (url.pathname === SETUP_CALLBACK_PATH) {
      await callbackPage({ config, req, url, res, states, baseUrl: baseUrl(), envFile, fetchImpl, logger });
      return true;
    }
    return false;
  };
  return { handle, setupUrl: () => `${baseUrl()}${SETUP_PATH}?token=${token}` };
};
