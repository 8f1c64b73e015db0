// The console in a real browser (Debian's chromium driven by playwright-core) against the real
// server on SQLite and PostgreSQL: sign in with a key and with GitHub (a local stand-in of its
// OAuth endpoints), register and activate a contract, edit a repository policy, resolve a
// violation, start and cancel a scan, create and revoke a key; axe-core on every page.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveCheckRecord } from "../../src/db/github-checks.ts";
import { upsertGitHubRepositories } from "../../src/db/github-repositories.ts";
import { enqueueJob } from "../../src/db/jobs.ts";
import { appendScanLog } from "../../src/db/scans.ts";
import { recordViolations, type ViolationRecord } from "../../src/db/violations.ts";
import { caller } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import { startFakeGitHubOAuth } from "../helpers/fake-github-oauth.ts";
import { makeSourceFiles, ORDERS_CONTRACT, type SourceFiles } from "../helpers/source-fixtures.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(process.cwd(), "test-results", "console");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const violation = (pr: number, extra: Partial<ViolationRecord> = {}): ViolationRecord => ({
  dedupeKey: `acme/shop#${pr}:column-removed:orders:email`,
  fingerprint: "column-removed:orders:email",
  rule: "column-removed",
  severity: "error",
  enforcement: "NOTIFY",
  contractName: "orders",
  dataset: "public.orders",
  column: "email",
  message: `Column public.orders.email is dropped by PR ${pr}`,
  gitRepo: "acme/shop",
  prNumber: pr,
  prLink: `https://github.com/acme/shop/pull/${pr}`,
  gitHash: "abc1234",
  file: "db/migrations/0002_drop_email.sql",
  line: 1,
  ...extra,
});

/** axe-core on the page: serious and critical issues fail the test (but for rules `allowed` by name). */
const checkAccessibility = async (page: Page, name: string, allowed: string[] = []) => {
  await page.evaluate(AXE);
  const result = (await page.evaluate(() =>
    (globalThis as unknown as { axe: { run: () => Promise<unknown> } }).axe.run(),
  )) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  const serious = result.violations
    .filter((v) => (v.impact === "serious" || v.impact === "critical") && !allowed.includes(v.id))
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(serious, `${name}: accessibility`).toEqual([]);
};

describe.skipIf(!existsSync(CHROMIUM)).each(["sqlite", "postgres"] as const)(
  "console in a browser on %s",
  (kind) => {
    let browser: Browser;
    let cov: CovenantServer;
    let files: SourceFiles;
    let github: Awaited<ReturnType<typeof startFakeGitHubOAuth>>;
    let api: ReturnType<typeof caller>;
    let violationId: string;
    let sourceId: string;

    const visit = async (page: Page, path: string, name: string) => {
      await page.goto(`${cov.base}${path}`);
      await checkAccessibility(page, name);
      await page.screenshot({ path: join(SCREENSHOTS, `${kind}-${name}.png`), fullPage: true });
    };

    beforeAll(async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      github = await startFakeGitHubOAuth({ clientId: "Iv1.console", clientSecret: "console-secret" });
      files = makeSourceFiles();
      cov = await startCovenant({
        kind,
        filesRoot: files.root,
        env: {},
        config: {
          // Scans stay queued, so the test can cancel one.
          JOB_WORKERS: "0",
          GHE_HOST: github.host,
          GHE_PROTOCOL: "http",
          GITHUB_CLIENT_ID: "Iv1.console",
          GITHUB_CLIENT_SECRET: "console-secret",
        },
      });
      api = caller(cov.base, () => cov.tenant.admin);
      const db = cov.server.db;
      const installationId = cov.tenant.installation.id;
      // What the App records for an installed organization: its repository, PR violations, checks, a failed job.
      await db.installation.update({ where: { id: installationId }, data: { githubId: 4242 } });
      const [shop] = await upsertGitHubRepositories(db, installationId, [
        { githubId: 1, fullName: "acme/shop", private: true },
      ]);
      const rows = await recordViolations(
        db,
        installationId,
        [violation(1, { enforcement: "BLOCK" }), violation(2), violation(3)].map((v) => ({
          ...v,
          repositoryId: shop!.id,
        })),
      );
      violationId = rows[1]!.id;
      await saveCheckRecord(db, {
        repositoryId: shop!.id,
        headSha: "abc1234",
        prNumber: 1,
        checkRunId: 9,
        conclusion: "failure",
      });
      const job = await enqueueJob(db, {
        kind: "github.analyze",
        dedupeKey: "analyze:4242:acme/shop#1@abc1234",
        payload: { installationId: 4242, owner: "acme", repo: "shop", pullNumber: 1, deliveryId: "d-1" },
      });
      await db.job.update({
        where: { id: job.id },
        data: { status: "dead", lastError: "GitHub answered 502" },
      });
      files.forInstallation(installationId);
      const source = await api("POST", "/sources", { name: "shop", location: "shop.db" });
      expect(source.status, source.text).toBe(201);
      sourceId = source.body.id;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    });

    afterAll(async () => {
      await browser?.close();
      await cov?.close();
      await github?.close();
      files?.cleanup();
    });

    it("signs in with a key and does the platform team's work, every page accessible", {
      timeout: 300_000,
    }, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${cov.base}/`);
      expect(new URL(page.url()).pathname).toBe("/login");
      await checkAccessibility(page, "login");
      await page.screenshot({ path: join(SCREENSHOTS, `${kind}-login.png`) });
      await page.getByLabel("API key", { exact: true }).fill("cov_wrong_key");
      await page.getByRole("button", { name: "Sign in with the key" }).click();
      expect(await page.getByRole("alert").textContent()).toContain("Invalid API key");
      await page.getByLabel("API key", { exact: true }).fill(cov.tenant.admin);
      await page.getByRole("button", { name: "Sign in with the key" }).click();
      await page.waitForURL(/\/overview$/);
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({
        name: "covenant_session",
        httpOnly: true,
        sameSite: "Lax",
        secure: false,
      });
      expect(cookie!.value).not.toContain(cov.tenant.admin);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Overview of acme");
      await visit(page, "/overview", "overview");
      expect(await page.locator("figcaption").textContent()).toContain("1 blocked");

      // Register a contract from YAML and activate it.
      await visit(page, "/contracts", "contracts");
      await page.getByLabel(/Contract YAML/).fill(ORDERS_CONTRACT);
      await page.getByRole("button", { name: "Register" }).click();
      await page.waitForURL(/\/contracts\/[^/?]+\?notice=/);
      const contractId = new URL(page.url()).pathname.split("/").pop()!;
      await page.getByRole("button", { name: "Activate" }).click();
      expect(await page.getByRole("status").textContent()).toContain("Contract activated.");
      expect((await api("GET", `/contracts/${contractId}`)).body.status).toBe("active");
      await visit(page, `/contracts/${contractId}`, "contract");
      await page.goto(`${cov.base}/contracts?q=ord`);
      expect(await page.getByRole("link", { name: "orders", exact: true }).count()).toBe(1);

      // Edit a repository's policy in place; the dry run shows what BLOCK would have blocked.
      await visit(page, "/repositories", "repositories");
      await page.getByLabel("Cap (max)", { exact: true }).selectOption("NOTIFY");
      await page.getByRole("button", { name: "Save policy" }).click();
      expect(await page.getByRole("status").textContent()).toContain("Policy of acme/shop saved.");
      expect((await api("GET", "/repos/acme/shop/policy")).body.max).toBe("NOTIFY");
      await visit(page, "/repositories/acme/shop", "repository");
      expect(await page.locator("#dry-run-summary").textContent()).toMatch(/at BLOCK,\s*3\s*pull requests/);

      // Resolve a violation with a note.
      await visit(page, "/violations?repo=acme/shop", "violations");
      const row = page.locator(`#violation-${violationId}`);
      await row.getByLabel("Notes", { exact: true }).fill("fixed by restoring the column");
      await row.getByRole("button", { name: "Resolve" }).click();
      expect(await page.getByRole("status").textContent()).toContain("Violation updated.");
      const resolved = await api("GET", `/contract-violations/${violationId}`);
      expect(resolved.body).toMatchObject({ status: "resolved", notes: "fixed by restoring the column" });

      // Start a scan of the contract's data and cancel it.
      await page.goto(`${cov.base}/contracts/${contractId}`);
      await page.getByLabel("Data source", { exact: true }).selectOption(sourceId);
      await page.getByRole("button", { name: "Start scan" }).click();
      await page.waitForURL(/\/scans\//);
      const scanId = new URL(page.url()).pathname.split("/").pop()!;
      // Live status without scripts: while the scan is queued or running the page reloads itself,
      // and a reload shows the log lines a worker has written since.
      const refresh = page.locator('meta[http-equiv="refresh"]');
      expect(await refresh.getAttribute("content")).toBe("3");
      await appendScanLog(cov.server.db, scanId, {
        level: "info",
        message: "reading table orders",
        at: new Date(),
      });
      await page.waitForFunction(
        () =>
          (
            globalThis as unknown as { document: { body: { textContent: string } } }
          ).document.body.textContent.includes("reading table orders"),
        undefined,
        { timeout: 15_000 },
      );
      // axe flags any timed reload (WCAG 2.2.1 accepts one the user can stop, which it cannot see):
      // the reloading page may fail that one rule; once stopped, the page must pass every rule.
      await checkAccessibility(page, "scan (reloading)", ["meta-refresh"]);
      await page.screenshot({ path: join(SCREENSHOTS, `${kind}-scan.png`), fullPage: true });
      await page.getByRole("link", { name: "Stop reloading" }).click();
      expect(await refresh.count()).toBe(0);
      await checkAccessibility(page, "scan");
      await visit(page, "/data", "data");
      await page.getByRole("link", { name: scanId }).click();
      await page.getByRole("button", { name: "Cancel scan" }).click();
      expect(await page.getByRole("status").textContent()).toContain("Cancellation requested.");
      expect((await api("GET", `/scans/${scanId}`)).body.status).toBe("cancelled");
      expect(await page.locator("h1").textContent()).toContain("cancelled");
      expect(await refresh.count()).toBe(0);

      // Analyses: the failed one shows its error and can be run again.
      await visit(page, "/analyses", "analyses");
      expect(await page.locator("table").textContent()).toContain("GitHub answered 502");
      await page.getByRole("button", { name: /Re-run analysis/ }).click();
      expect(await page.getByRole("status").textContent()).toContain("Analysis queued again.");

      // Keys: the secret shows once; revoking works.
      await visit(page, "/keys", "keys");
      await page.getByLabel("Name", { exact: true }).fill("ci");
      await page.getByRole("button", { name: "Create key" }).click();
      const secret = await page.locator("#new-key-secret").textContent();
      expect(secret).toMatch(/^cov_/);
      await page.goto(`${cov.base}/keys`);
      expect(await page.content()).not.toContain(secret!);
      await page.getByRole("button", { name: "Revoke ci" }).click();
      expect(await page.getByRole("status").textContent()).toContain("Key revoked.");
      expect((await api("GET", "/api-keys", undefined, secret!)).status).toBe(401);

      // Keyboard: the skip link is the first stop and moves focus to the content.
      await page.keyboard.press("Tab");
      expect(
        await page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { textContent: string } | null } })
              .document.activeElement?.textContent,
        ),
      ).toBe("Skip to content");
      await context.close();
    });

    it("answers 404 for a path that is no page, signed in or not, and sends a visitor to sign in only for pages", async () => {
      const unknown = await fetch(`${cov.base}/no-such-page`, { redirect: "manual" });
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain("No page at /no-such-page");
      const page = await fetch(`${cov.base}/violations`, { redirect: "manual" });
      expect(page.status).toBe(303);
      expect(page.headers.get("location")).toBe("/login");
    });

    it("refuses state changes without the CSRF token or from another origin", async () => {
      const login = await fetch(`${cov.base}/login`, {
        method: "POST",
        body: new URLSearchParams({ key: cov.tenant.admin }),
        redirect: "manual",
      });
      expect(login.status).toBe(303);
      const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
      const noToken = await fetch(`${cov.base}/repositories/acme/shop/policy`, {
        method: "POST",
        headers: { cookie },
        body: new URLSearchParams({ max: "BLOCK" }),
        redirect: "manual",
      });
      expect(noToken.status).toBe(403);
      const page = await fetch(`${cov.base}/repositories`, { headers: { cookie } });
      const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
      const crossSite = await fetch(`${cov.base}/repositories/acme/shop/policy`, {
        method: "POST",
        headers: { cookie, origin: "https://evil.example" },
        body: new URLSearchParams({ max: "BLOCK", _csrf: token }),
        redirect: "manual",
      });
      expect(crossSite.status).toBe(403);
      expect((await api("GET", "/repos/acme/shop/policy")).body.max).toBe("NOTIFY");
      const forged = await fetch(`${cov.base}/overview`, {
        headers: { cookie: `${cookie}x` },
        redirect: "manual",
      });
      expect(forged.headers.get("location")).toBe("/login");
    });

    it("signs in with GitHub: owners administer, members read, unknown installations are not offered", async () => {
      const installations = [
        { id: 4242, account: { login: "acme", type: "Organization" } },
        { id: 9999, account: { login: "not-installed-here", type: "Organization" } },
      ];
      github.state.nextUser = { login: "octo-owner", installations, orgRoles: { acme: "admin" } };
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${cov.base}/login`);
      await page.getByRole("link", { name: "Sign in with GitHub" }).click();
      await page.waitForURL(/\/overview$/);
      expect(await page.locator("header").textContent()).toContain("octo-owner");
      expect(await page.locator("header").textContent()).toContain("admin");
      await page.goto(`${cov.base}/repositories`);
      expect(await page.getByRole("button", { name: "Save policy" }).count()).toBe(1);
      await context.close();

      github.state.nextUser = { login: "octo-member", installations, orgRoles: { acme: "member" } };
      const readerContext = await browser.newContext();
      const reader = await readerContext.newPage();
      await reader.goto(`${cov.base}/auth/github`);
      await reader.waitForURL(/\/overview$/);
      expect(await reader.locator("header").textContent()).toContain("read");
      await reader.goto(`${cov.base}/repositories`);
      expect(await reader.getByRole("button", { name: "Save policy" }).count()).toBe(0);
      await reader.goto(`${cov.base}/violations`);
      expect(await reader.getByRole("button", { name: "Resolve" }).count()).toBe(0);
      await readerContext.close();

      github.state.nextUser = { login: "stranger", installations: [installations[1]!], orgRoles: {} };
      const strangerContext = await browser.newContext();
      const stranger = await strangerContext.newPage();
      const answer = await stranger.goto(`${cov.base}/auth/github`);
      expect(answer?.status()).toBe(403);
      expect(await stranger.getByRole("alert").textContent()).toContain("stranger");
      await strangerContext.close();
    });
  },
);
