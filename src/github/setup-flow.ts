// Registers the GitHub App from app.yml through GitHub's "register a GitHub App from a manifest"
// flow, as Probot's own setup page does (that page is internal to probot, so we serve ours):
// GET /setup posts the manifest to GitHub, GitHub redirects to GET /setup/callback?code=…, and
// the code is exchanged for the App's id, private key and webhook secret, written to .env.
// Only mounted while the App is not configured: a configured server never registers again.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseEnv } from "node:util";
import type { Logger } from "pino";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { type Config, githubApiUrl } from "../config.ts";

export const SETUP_PATH = "/setup";
export const SETUP_CALLBACK_PATH = "/setup/callback";
const WEBHOOK_PATH = "/api/github/webhooks";
const APP_YML = new URL("../../app.yml", import.meta.url);
const CREDENTIAL_KEYS = ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"] as const;

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
});

/** The manifest GitHub receives: app.yml plus the URLs of this server. */
export type AppManifest = z.infer<typeof AppYmlSchema> & {
  hook_attributes: { url: string };
  redirect_url: string;
};

const ConversionSchema = z.object({
  id: z.number().int(),
  slug: z.string(),
  html_url: z.string().url(),
  pem: z.string().min(1),
  webhook_secret: z.string().nullish(),
});
type Conversion = z.infer<typeof ConversionSchema>;

export const buildManifest = (baseUrl: string, appYml = readFileSync(APP_YML, "utf8")): AppManifest => {
  const app = AppYmlSchema.parse(parseYaml(appYml));
  return {
    ...app,
    hook_attributes: { url: `${baseUrl}${WEBHOOK_PATH}` },
    redirect_url: `${baseUrl}${SETUP_CALLBACK_PATH}`,
  };
};

const publicBaseUrl = (config: Config, req: IncomingMessage): string =>
  (config.PUBLIC_URL ?? `http://${req.headers.host ?? `localhost:${config.PORT}`}`).replace(/\/+$/, "");

const githubWebUrl = (config: Config): string =>
  config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : "https://github.com";

// GitHub logins: alphanumerics and single hyphens, up to 39 characters.
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const sendPage = (res: ServerResponse, status: number, title: string, body: string) => {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
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

const KEY_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

const readEnvFile = (envFile: string): { text: string; values: Record<string, string | undefined> } => {
  const text = existsSync(envFile) ? readFileSync(envFile, "utf8") : "";
  return { text, values: parseEnv(text) };
};

/** Credential keys already set in .env to something else: never overwritten silently. */
const conflictingKeys = (envFile: string): string[] => {
  const { values } = readEnvFile(envFile);
  return [...CREDENTIAL_KEYS, "PRIVATE_KEY_PATH"].filter((key) => (values[key] ?? "").trim() !== "");
};

/** Merges the App's credentials into .env, keeping every other line; the file holds a private key, so 0600. */
const writeCredentials = ({
  envFile,
  conversion,
  webhookSecret,
}: {
  envFile: string;
  conversion: Conversion;
  webhookSecret: string;
}) => {
  const values: Record<(typeof CREDENTIAL_KEYS)[number], string> = {
    APP_ID: String(conversion.id),
    // One line: the app turns the `\n` escapes back into newlines (src/github/create-github-app.ts).
    PRIVATE_KEY: conversion.pem.trim().replace(/\r?\n/g, "\\n"),
    WEBHOOK_SECRET: webhookSecret,
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
  const temporary = `${envFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${merged.join("\n")}\n`, { mode: 0o600 });
  renameSync(temporary, envFile);
};

type Exchange = { ok: true; conversion: Conversion } | { ok: false; reason: string };

const exchangeCode = async (config: Config, code: string, fetchImpl: typeof fetch): Promise<Exchange> => {
  const url = `${githubApiUrl(config)}/app-manifests/${encodeURIComponent(code)}/conversions`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: {
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "covenant-setup",
      },
      signal: AbortSignal.timeout(20_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `Covenant could not reach GitHub at ${githubApiUrl(config)} (${cause}).` };
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
      reason: "GitHub's answer did not hold the App's id, private key and webhook secret.",
    };
  }
};

const setupPage = (config: Config, req: IncomingMessage, url: URL, res: ServerResponse) => {
  const baseUrl = publicBaseUrl(config, req);
  const org = url.searchParams.get("org") ?? "";
  if (org !== "" && !ORG_LOGIN.test(org)) {
    return sendPage(
      res,
      400,
      "Not an organization name",
      `<p>"${escapeHtml(org)}" is not a GitHub organization login. <a href="${SETUP_PATH}">Back</a></p>`,
    );
  }
  const manifest = buildManifest(baseUrl);
  const action = `${githubWebUrl(config)}${org ? `/organizations/${org}` : ""}/settings/apps/new`;
  const reachable = /^https:\/\//.test(baseUrl) && !/^https:\/\/(localhost|127\.|\[::1\])/.test(baseUrl);
  const json = JSON.stringify(manifest, null, 2);
  sendPage(
    res,
    200,
    "Register the Covenant GitHub App",
    `<p>This registers a GitHub App ${org ? `owned by the organization <b>${escapeHtml(org)}</b>` : "owned by your GitHub account"} from <code>app.yml</code>: exactly the events and permissions Covenant uses. GitHub will send webhooks to <code>${escapeHtml(manifest.hook_attributes.url)}</code>.</p>
${reachable ? "" : `<p><b>GitHub must be able to reach that URL.</b> Set <code>PUBLIC_URL</code> to this server's public https address (or a tunnel's) and restart <code>covenant serve</code> before registering.</p>`}
<form action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register on ${escapeHtml(new URL(action).host)}</button>
</form>
<form action="${SETUP_PATH}" method="get"><p>For an organization instead: <input name="org" placeholder="organization login" value="${escapeHtml(org)}" pattern="[A-Za-z0-9][A-Za-z0-9\\-]{0,38}"> <button type="submit">Use it</button></p></form>
<details><summary>The manifest</summary><pre>${escapeHtml(json)}</pre></details>`,
  );
};

const callbackPage = async ({
  config,
  url,
  res,
  envFile,
  fetchImpl,
  logger,
}: {
  config: Config;
  url: URL;
  res: ServerResponse;
  envFile: string;
  fetchImpl: typeof fetch;
  logger?: Logger;
}) => {
  const code = url.searchParams.get("code") ?? "";
  if (code === "") {
    return sendPage(
      res,
      400,
      "No code",
      `<p>GitHub sends a <code>code</code> here after you create the App. Start from <a href="${SETUP_PATH}">${SETUP_PATH}</a>.</p>`,
    );
  }
  // Checked before the exchange, which uses up the code: it stays valid for an hour to retry.
  const conflicts = conflictingKeys(envFile);
  if (conflicts.length > 0) {
    return sendPage(
      res,
      409,
      "App credentials already in .env",
      `<p><code>${escapeHtml(envFile)}</code> already sets ${conflicts.map((k) => `<code>${k}</code>`).join(", ")}, and Covenant does not overwrite them. Restart <code>covenant serve</code> to use them, or remove them from the file and reload this page (within an hour of creating the App) to use the new App.</p>`,
    );
  }
  const exchange = await exchangeCode(config, code, fetchImpl);
  if (!exchange.ok) {
    logger?.warn({ reason: exchange.reason }, "GitHub App registration: code exchange failed");
    return sendPage(
      res,
      502,
      "The App's credentials could not be fetched",
      `<p>${escapeHtml(exchange.reason)}</p>
<p>Nothing was written. A code works once and for one hour: if GitHub could not be reached, reload this page; otherwise <a href="${SETUP_PATH}">register again</a> (delete the App GitHub may already have created, in its settings, if you do not need it).</p>`,
    );
  }
  const { conversion } = exchange;
  // A manifest with hook_attributes gets a secret from GitHub; should it not, ours must be set on the App.
  const generated = conversion.webhook_secret ? undefined : randomBytes(32).toString("hex");
  try {
    writeCredentials({ envFile, conversion, webhookSecret: conversion.webhook_secret ?? generated! });
  } catch (error) {
    logger?.error({ err: error }, "GitHub App registration: writing .env failed");
    return sendPage(
      res,
      500,
      "The App was created, but .env could not be written",
      `<p>${escapeHtml(error instanceof Error ? error.message : String(error))}</p>
<p>In the <a href="${escapeHtml(conversion.html_url)}">App's settings</a>, generate a private key and set a webhook secret, then set <code>APP_ID=${conversion.id}</code>, <code>PRIVATE_KEY_PATH</code> and <code>WEBHOOK_SECRET</code> and restart <code>covenant serve</code>.</p>`,
    );
  }
  logger?.info(
    { appId: conversion.id, slug: conversion.slug, envFile },
    "GitHub App registered; credentials written",
  );
  const html = escapeHtml(conversion.html_url);
  sendPage(
    res,
    200,
    `The GitHub App ${conversion.slug} was created`,
    `<p>App <a href="${html}">${html}</a> (id ${conversion.id}) is registered. Its id, private key and webhook secret were written to <code>${escapeHtml(envFile)}</code>; keep that file secret.</p>
${generated ? `<p><b>GitHub returned no webhook secret:</b> set the one now in <code>WEBHOOK_SECRET</code> in the <a href="${html}">App's settings</a>.</p>` : ""}
<ol>
<li>Restart <code>covenant serve</code> so the credentials load (variables already set in the environment win over <code>.env</code>).</li>
<li><a href="${html}/installations/new">Install the App</a> on the organization or the repositories that hold migrations, dbt projects or contracts.</li>
</ol>`,
  );
};

/**
 * The setup routes, for a server whose App is not configured. Returns whether it answered;
 * `envFile` is where the credentials go (.env in the working directory for `covenant serve`).
 */
export const createSetupFlow =
  ({
    config,
    envFile,
    logger,
    fetchImpl = fetch,
  }: {
    config: Config;
    envFile: string;
    logger?: Logger;
    fetchImpl?: typeof fetch;
  }) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://setup.local");
    if (req.method !== "GET") return false;
    if (url.pathname === SETUP_PATH) {
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
      setupPage(config, req, url, res);
      return true;
    }
    if (url.pathname === SETUP_CALLBACK_PATH) {
      await callbackPage({ config, url, res, envFile, fetchImpl, logger });
      return true;
    }
    return false;
  };
