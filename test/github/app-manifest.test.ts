// app.yml against the rules GitHub applies when it registers an App from a manifest, and against
// the handlers the code really registers. GitHub rejects a manifest that lists an event it
// delivers on its own ("Default events unsupported: installation and installation_repositories"),
// and an event without the permission it needs is never delivered.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pino } from "pino";
import { Probot } from "probot";
import { describe, expect, test, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { GITHUB_CALLBACK_PATH } from "../../src/console/github-sign-in.ts";
import type { Db } from "../../src/db/client.ts";
import { covenantApp } from "../../src/github/app.ts";
import { buildManifest } from "../../src/github/setup-flow.ts";
import type { JobQueue } from "../../src/jobs/job-queue.ts";
import { TestOctokit, testPrivateKey } from "../helpers/github-app-harness.ts";

const APP_YML = readFileSync(join(import.meta.dirname, "../../app.yml"), "utf8");
const appYml = parseYaml(APP_YML) as {
  default_events: string[];
  default_permissions: Record<string, string>;
};

/** Delivered to every App whatever it subscribes to; GitHub refuses them in default_events. */
const AUTOMATIC_EVENTS = [
  "installation",
  "installation_repositories",
  "installation_target",
  "github_app_authorization",
  "meta",
  "ping",
];

type Level = "read" | "write" | "admin";
const RANK: Record<Level, number> = { read: 1, write: 2, admin: 3 };

/**
 * The permission each event needs, from GitHub's webhook reference ("To subscribe to this event, a
 * GitHub App must have at least read-level access for the … permission"). Some actions need more:
 * check_run `rerequested` and check_suite `requested`/`rerequested` need Checks write.
 * An event missing here must be looked up there and added, never guessed.
 */
const EVENT_PERMISSIONS: Record<
  string,
  { permission: string; level: Level; actions?: Record<string, Level> }
> = {
  check_run: {
    permission: "checks",
    level: "read",
    actions: { rerequested: "write", requested_action: "write" },
  },
  check_suite: { permission: "checks", level: "read", actions: { requested: "write", rerequested: "write" } },
  issue_comment: { permission: "issues", level: "read" },
  issues: { permission: "issues", level: "read" },
  merge_group: { permission: "merge_queues", level: "read" },
  pull_request: { permission: "pull_requests", level: "read" },
  pull_request_review: { permission: "pull_requests", level: "read" },
  pull_request_review_comment: { permission: "pull_requests", level: "read" },
  push: { permission: "contents", level: "read" },
  create: { permission: "contents", level: "read" },
  delete: { permission: "contents", level: "read" },
  repository: { permission: "metadata", level: "read" },
  member: { permission: "members", level: "read" },
  membership: { permission: "members", level: "read" },
  organization: { permission: "members", level: "read" },
};

/** GitHub's permission names and levels, from its REST description (github.com and the oldest GHES described). */
const appPermissions = (description: string): Record<string, Level[]> => {
  const doc = createRequire(import.meta.url)(`@octokit/openapi/generated/${description}.json`) as {
    components: { schemas: Record<string, { properties: Record<string, { enum: Level[] }> }> };
  };
  const properties = doc.components.schemas["app-permissions"]?.properties ?? {};
  return Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, schema.enum]));
};

/** The events (with actions) src/github/app.ts registers, read from a real Probot instance. */
const registeredEvents = async (): Promise<string[]> => {
  const probot = new Probot({
    appId: 1,
    privateKey: testPrivateKey(),
    secret: "secret",
    log: pino({ level: "silent" }),
    Octokit: TestOctokit,
  });
  const on = vi.spyOn(probot, "on");
  const onAny = vi.spyOn(probot, "onAny");
  // Handlers are only built here, never called: the database and the queue are not touched.
  await probot.load(covenantApp({ db: {} as Db, queue: {} as JobQueue }));
  // A catch-all handler would receive events nobody subscribed to: name them instead.
  expect(onAny).not.toHaveBeenCalled();
  return on.mock.calls.flatMap(([names]) => (Array.isArray(names) ? names : [names])).map(String);
};

const baseEvent = (name: string) => name.split(".")[0] ?? name;

/** The parameters of GitHub's "register a GitHub App from a manifest" (anything else is ignored or refused). */
const MANIFEST_PARAMETERS = [
  "name",
  "url",
  "hook_attributes",
  "redirect_url",
  "callback_urls",
  "setup_url",
  "description",
  "public",
  "default_events",
  "default_permissions",
  "request_oauth_on_install",
  "setup_on_update",
];

describe("app.yml is a manifest GitHub accepts", () => {
  test("lists no event GitHub delivers on its own", () => {
    expect(appYml.default_events.filter((event) => AUTOMATIC_EVENTS.includes(event))).toEqual([]);
  });

  test.each(["api.github.com", "ghes-3.17"])(
    "requests only permissions and levels %s knows",
    (description) => {
      const known = appPermissions(description);
      expect(Object.keys(known).length).toBeGreaterThan(20);
      const unknown = Object.entries(appYml.default_permissions)
        .filter(([name, level]) => !(known[name] ?? []).includes(level as Level))
        .map(([name, level]) => `${name}: ${level} (${name} takes ${known[name]?.join(", ") ?? "nothing"})`);
      expect(unknown).toEqual([]);
    },
  );

  test("every event is backed by the permission GitHub requires for it, at the level its actions need", async () => {
    const actionsOf = (event: string, registered: string[]) =>
      registered
        .filter((name) => baseEvent(name) === event && name.includes("."))
        .map((name) => name.split(".")[1]);
    const registered = await registeredEvents();
    const problems = appYml.default_events.flatMap((event) => {
      const needs = EVENT_PERMISSIONS[event];
      if (!needs) return [`${event}: look up the permission it needs in GitHub's webhook reference`];
      const actionLevels = actionsOf(event, registered).map(
        (action) => needs.actions?.[action ?? ""] ?? needs.level,
      );
      const level = [needs.level, ...actionLevels].reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
      const granted = appYml.default_permissions[needs.permission] as Level | undefined;
      return granted && RANK[granted] >= RANK[level] ? [] : [`${event} needs ${needs.permission}: ${level}`];
    });
    expect(problems).toEqual([]);
  });

  test("the code handles exactly the subscribed events, plus the ones GitHub always delivers", async () => {
    const handled = [...new Set((await registeredEvents()).map(baseEvent))].sort();
    const subscribed = appYml.default_events;
    expect(
      handled.filter((event) => !subscribed.includes(event) && !AUTOMATIC_EVENTS.includes(event)),
    ).toEqual([]);
    expect(subscribed.filter((event) => !handled.includes(event))).toEqual([]);
  });

  test("the manifest sent to GitHub carries app.yml's events and permissions unchanged", () => {
    const manifest = buildManifest("https://covenant.example.com", APP_YML);
    expect(manifest.default_events).toEqual(appYml.default_events);
    expect(manifest.default_permissions).toEqual(appYml.default_permissions);
  });

  test("the manifest holds only GitHub's manifest parameters, and registers the console's sign-in callback", () => {
    const manifest = buildManifest("https://covenant.example.com/covenant", APP_YML);
    expect(Object.keys(manifest).filter((key) => !MANIFEST_PARAMETERS.includes(key))).toEqual([]);
    // The console sends GitHub this redirect_uri; GitHub refuses one the App does not list.
    expect(manifest.callback_urls).toEqual([`https://covenant.example.com/covenant${GITHUB_CALLBACK_PATH}`]);
    expect(manifest.callback_urls.length).toBeLessThanOrEqual(10);
    // An install-time authorization would arrive without the state the console's sign-in checks.
    expect(manifest.request_oauth_on_install).toBe(false);
  });

  test("a callback URL that is not a path on this server is refused, saying what to write", () => {
    const broken = APP_YML.replace("  - /auth/github/callback", "  - https://elsewhere.example/cb");
    expect(() => buildManifest("https://covenant.example.com", broken)).toThrow(/a path on this server/);
  });

  test("an app.yml listing an automatic event is refused before it reaches GitHub, saying which", () => {
    const broken = APP_YML.replace("default_events:\n", "default_events:\n  - installation\n");
    expect(() => buildManifest("https://covenant.example.com", broken)).toThrow(
      /lists installation: GitHub refuses that.*delivered to every App/,
    );
  });
});
