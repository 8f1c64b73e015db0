import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { CovenantError } from "./core/errors.ts";
import { databaseUrlProblem } from "./db/database-url.ts";
import { redisUrlProblem } from "./db/redis.ts";
import { PORT_RULE, parsePort } from "./port.ts";
import { parseSourceHosts } from "./sources/source-hosts.ts";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value));

/**
 * A whole number setting; empty means unset (the default), so `JOB_WORKERS=` in .env never
 * quietly becomes 0 as a plain numeric coercion would make it.
 */
const wholeNumber = (min: number, max: number, fallback: number) =>
  optionalText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (number >= min && number <= max) return number;
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    ctx.addIssue({
      code: "custom",
      message: `"${value}" must be a whole number ${range} (default ${fallback})`,
    });
    return fallback;
  });
const ANY = Number.MAX_SAFE_INTEGER;

export { PORT_RULE, parsePort };

const APP_KEY_HELP =
  "use the .pem file the App's settings page downloads (Private keys, Generate a private key); in PRIVATE_KEY, newlines may be written as \\n";

/** Why a PEM text cannot sign as a GitHub App, or undefined when it is an RSA private key. */
const appKeyProblem = (pem: string): string | undefined => {
  try {
    const key = createPrivateKey(pem.replace(/\\n/g, "\n"));
    if (key.asymmetricKeyType === "rsa") return undefined;
    return `holds a ${key.asymmetricKeyType ?? "non-RSA"} key, but GitHub Apps sign with an RSA private key: ${APP_KEY_HELP}`;
  } catch {
    return `is not an RSA private key in PEM form (-----BEGIN RSA PRIVATE KEY-----): ${APP_KEY_HELP}`;
  }
};

const readKeyFile = (path: string): { text?: string; problem?: string } => {
  try {
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EISDIR"
          ? "is a directory"
          : `cannot be read (${code})`;
    return {
      problem: `${path} ${why} (a relative path starts at ${process.cwd()}): point it at the App's private key file, or set PRIVATE_KEY instead`,
    };
  }
};

/** Covenant's whole configuration, read from the environment once, at the edge. */
export const ConfigSchema = z
  .object({
    /** HTTP port for the API and the webhooks. */
    PORT: optionalText.transform((value, ctx) => {
      if (value === undefined) return 3000;
      const port = parsePort(value);
      if (port === undefined) ctx.addIssue({ code: "custom", message: `"${value}" ${PORT_RULE}` });
      return port ?? 0;
    }),
    /** `covenant worker` only: a port serving /healthz and /readyz (unset: no HTTP at all). */
    HEALTH_PORT: optionalText.transform((value, ctx) => {
      if (value === undefined) return undefined;
      const port = parsePort(value);
      if (port === undefined) ctx.addIssue({ code: "custom", message: `"${value}" ${PORT_RULE}` });
      return port;
    }),
    /** Interface to listen on. */
    HOST: z.string().default("0.0.0.0"),
    /** `postgresql://…` (or `postgres://`) selects PostgreSQL, `file:<path>` a SQLite file (default ./data/covenant.db). */
    DATABASE_URL: optionalText
      .transform((value) => value?.trim() ?? "file:./data/covenant.db")
      .superRefine((value, ctx) => {
        const problem = databaseUrlProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    /** GitHub App id; with PRIVATE_KEY and WEBHOOK_SECRET it switches the webhooks on. */
    APP_ID: optionalText.refine((value) => value === undefined || /^\s*\d+\s*$/.test(value), {
      message: "must be the App's numeric id (the App's settings page, About, App ID), e.g. 123456",
    }),
    /** The App's private key (PEM; `\n` escapes are accepted), or PRIVATE_KEY_PATH to a file. */
    PRIVATE_KEY: optionalText,
    PRIVATE_KEY_PATH: optionalText,
    WEBHOOK_SECRET: optionalText,
    /** The App's OAuth client, for GitHub sign-in; the /setup flow writes them with the App's other credentials. */
    GITHUB_CLIENT_ID: optionalText,
    GITHUB_CLIENT_SECRET: optionalText,
    /** Members of this team (`org/team-slug`, or a slug looked up in each organization) are console admins, besides organization owners. */
    CONSOLE_ADMIN_TEAM: optionalText,
    /** Key that signs console session cookies; unset: a random one per process (sessions end at restart; set it when several instances serve the console). */
    SESSION_SECRET: optionalText.refine((value) => value === undefined || value.length >= 32, {
      message: "must be at least 32 characters (e.g. `openssl rand -hex 32`)",
    }),
    /** GitHub Enterprise Server host (Probot's standard variable), e.g. github.example.com. */
    GHE_HOST: optionalText,
    GHE_PROTOCOL: z.enum(["https", "http"]).default("https"),
    /** Full REST API base URL; overrides GHE_HOST (used for tests against a local fake GitHub). */
    GITHUB_API_URL: optionalText,
    /** This server's public base URL (e.g. https://covenant.example.com): the App's webhook and setup URLs; default where it listens (never a request's Host header). */
    PUBLIC_URL: optionalText.refine((value) => value === undefined || /^https?:\/\/[^/\s]+/.test(value), {
      message: "must be an http(s) URL such as https://covenant.example.com",
    }),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    /** Requests per minute per API key, counted across every instance. */
    API_RATE_LIMIT_PER_MINUTE: wholeNumber(1, ANY, 600),
    /**
     * `redis://[[user]:password@]host[:port][/db]` (or `rediss://`): the rate limits count there
     * instead of in the database. Either way every instance shares them.
     */
    REDIS_URL: optionalText
      .transform((value) => value?.trim())
      .superRefine((value, ctx) => {
        const problem = value === undefined ? undefined : redisUrlProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    /**
     * Proxies in front of the server whose X-Forwarded-For is believed when throttling failed
     * authentications per client (0: none, the connection's address is the client's).
     */
    TRUST_PROXY: wholeNumber(0, 10, 0),
    /** Largest accepted request body, in bytes. */
    API_BODY_LIMIT_BYTES: wholeNumber(1, ANY, 1024 * 1024),
    /** Directory that file data sources (SQLite, CSV, JSON lines, Parquet) registered through the API must live in. */
    SOURCE_FILES_ROOT: z.string().trim().min(1).default("./data/sources"),
    /**
     * Hosts PostgreSQL data sources may connect to: host names (`db.example.com`, `*.corp.example.com`),
     * addresses, ranges (`10.20.0.0/16`) and `public`, comma-separated. Unset: public addresses only
     * (no loopback, private, link-local or metadata addresses).
     */
    SOURCE_HOSTS: optionalText.refine(
      (value) => {
        try {
          parseSourceHosts(value);
          return true;
        } catch {
          return false;
        }
      },
      { message: "must list host names, addresses, ranges (10.0.0.0/8) or public, separated by commas" },
    ),
    /** How long a data source host may take to answer; every unreachable host answers after this long. */
    SOURCE_CONNECT_TIMEOUT_MS: wholeNumber(100, 120_000, 10_000),
    /** Statement timeout of a synchronous validation against a data source (POST /contracts/{id}/validate). */
    VALIDATE_TIMEOUT_MS: wholeNumber(1, ANY, 30_000),
    /** Statement timeout of an asynchronous scan (POST /contracts/{id}/verify). */
    SCAN_TIMEOUT_MS: wholeNumber(1, ANY, 30 * 60_000),
    /** Background job workers in this process (0: enqueue only, another instance runs them). */
    JOB_WORKERS: wholeNumber(0, 64, 2),
    /**
     * How long a worker holds a GitHub job (an analysis) before another instance may take it over;
     * renewed every third of it while the job runs, so it only runs out when the worker is gone.
     */
    JOB_LEASE_MS: wholeNumber(1_000, 24 * 3_600_000, 5 * 60_000),
    /**
     * On shutdown (SIGTERM, SIGINT), how long running jobs may still finish; past it they are
     * aborted and queued again (the attempt not counted) for a restart or another instance. Keep it
     * below the orchestrator's kill deadline (Kubernetes: terminationGracePeriodSeconds, 30 s).
     */
    SHUTDOWN_GRACE_MS: wholeNumber(0, 10 * 60_000, 20_000),
    /** Attempts of a job before it goes to the dead letter (`dead`); retries wait 2 s, doubling, at most 5 minutes. */
    JOB_MAX_ATTEMPTS: wholeNumber(1, 100, 5),
    /** Worker threads that run the CPU-bound analysis, so webhooks and the API stay responsive (0: on the main thread). */
    ANALYSIS_THREADS: wholeNumber(0, 64, Math.max(1, availableParallelism() - 1)),
    /**
     * An analysis still running after this long shows its check run "in progress"; a faster one
     * creates it completed (one GitHub write instead of two). 0 shows every run in progress first.
     */
    CHECK_RUN_PROGRESS_AFTER_MS: wholeNumber(0, ANY, 5_000),
  })
  .superRefine((config, ctx) => {
    const app = [config.APP_ID, config.PRIVATE_KEY ?? config.PRIVATE_KEY_PATH, config.WEBHOOK_SECRET];
    const given = app.filter((value) => value !== undefined).length;
    if (config.PRIVATE_KEY !== undefined) {
      const problem = appKeyProblem(config.PRIVATE_KEY);
      if (problem) ctx.addIssue({ code: "custom", path: ["PRIVATE_KEY"], message: problem });
    } else if (config.PRIVATE_KEY_PATH !== undefined) {
      const file = readKeyFile(config.PRIVATE_KEY_PATH);
      const problem = file.problem ?? appKeyProblem(file.text ?? "");
      if (problem) {
        const message = file.problem ? problem : `${config.PRIVATE_KEY_PATH} ${problem}`;
        ctx.addIssue({ code: "custom", path: ["PRIVATE_KEY_PATH"], message });
      }
    }
    if (given > 0 && given < 3) {
      ctx.addIssue({
        code: "custom",
        path: ["APP_ID"],
        message:
          "the GitHub App needs all of APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET; set the missing ones or unset all three to run the API alone",
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

export const githubAppConfigured = (config: Config): boolean =>
  config.APP_ID !== undefined && config.WEBHOOK_SECRET !== undefined;

/** The GitHub REST base URL: GITHUB_API_URL, or GHE_HOST's /api/v3, or github.com. */
export const githubApiUrl = (config: Config): string =>
  config.GITHUB_API_URL ??
  (config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}/api/v3` : "https://api.github.com");

export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.join("."),
    message: `${issue.path.join(".")}: ${issue.message}`,
  }));
  throw new CovenantError(
    "invalid_input",
    "invalid configuration (environment variables, or .env in the working directory): fix these and run again",
    details,
  );
};
