// One repository change judged by the three ways Covenant runs — the GitHub App (the real server
// receiving a signed pull_request webhook, GitHub faked over HTTP), the CLI (`covenant check
// --format json` on a git repository) and the GitHub Action (its entry as a runner runs it) — must
// give the same verdict: the same violations (rule, severity, contract and level, dataset, column,
// file:line, id), the same findings, annotations, conclusion and score.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { VerdictJson } from "../src/core/report/render-json.ts";
import { type ActionRun, runActionOnPullRequest } from "./helpers/action-runner.ts";
import {
  type AppServerWithGitHub,
  completedCheckRun,
  SHOP,
  startAppWithGitHub,
} from "./helpers/app-server.ts";
import type { CheckRun } from "./helpers/fake-github.ts";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { commitSha, type Files } from "./helpers/github-repo-fixture.ts";
import { pullRequestPayload, SHOP_REPOSITORY } from "./helpers/webhook-examples.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");
const MIGRATION = "db/migrations/0006_reshape.up.sql";
// A blocking error (BLOCK contract), an error that does not block (NOTIFY), a warning, and a
// statement Covenant cannot read (a finding) — each place must sort them the same way.
const CHANGE = [
  "-- reshape customers and orders",
  "ALTER TABLE customers ALTER COLUMN full_name SET NOT NULL;",
  "ALTER TABLE customers DROP CONSTRAINT customers_email_key;",
  "CREATE TABLE audit_log (id bigint PRIMARY KEY, note text);",
  "ALTER TABLE audit_log FROBNICATE note;",
  "ALTER TABLE orders ALTER COLUMN currency TYPE varchar(8);",
  "",
].join("\n");

const head: Files = { ...SHOP, [MIGRATION]: CHANGE };
const BASE_SHA = commitSha(SHOP, "base");
const HEAD_SHA = commitSha(head, "head");

/** What the three must agree on, one line per violation, finding or annotation, sorted. */
type Judged = {
  conclusion: string;
  score: number;
  violations: string[];
  findings: string[];
  annotations: string[];
};

const violationLine = (v: {
  id: string;
  rule: string;
  severity: string;
  contract: string;
  enforcement: string;
  dataset: string;
  column: string | null;
  file: string | null;
  line: number | null;
}) =>
  `${v.rule} ${v.severity} ${v.contract}/${v.enforcement} ${v.dataset}.${v.column ?? "-"} at ${v.file}:${v.line} #${v.id}`;
const findingLine = (f: { rule: string; severity: string; file: string; line: number }) =>
  `${f.rule} ${f.severity} at ${f.file}:${f.line}`;

/** `::error file=F,line=N,title=T::message` workflow commands, with their properties unescaped. */
const workflowAnnotations = (stdout: string): string[] =>
  [...stdout.matchAll(/^::(error|warning|notice) file=([^,]*),line=(\d+),title=([^:]*)::/gm)].map(
    ([, level, file, line, title]) =>
      `${level} ${decodeURIComponent(file!)}:${line} ${decodeURIComponent(title!)}`,
  );

const fromJson = (json: VerdictJson, annotations: string[]): Judged => ({
  conclusion: json.conclusion,
  score: json.score,
  violations: json.violations.map(violationLine).sort(),
  findings: json.findings.map(findingLine).sort(),
  annotations: annotations.sort(),
});

describe("the same change judged by the App, the CLI and the Action", () => {
  let server: AppServerWithGitHub;
  let repo: GitRepo;

  beforeAll(async () => {
    server = await startAppWithGitHub({
      repositories: [
        {
          ...SHOP_REPOSITORY,
          defaultBranch: "main",
          commits: new Map([
            [BASE_SHA, SHOP],
            [HEAD_SHA, head],
          ]),
          pulls: new Map([
            [
              7,
              {
                number: 7,
                baseSha: BASE_SHA,
                headSha: HEAD_SHA,
                author: "dev1",
                files: [{ filename: MIGRATION, status: "added" }],
              },
            ],
          ]),
          teams: { "data-platform": ["olivia"], crm: ["carl"] },
        },
      ],
      config: { JOB_WORKERS: "1", ANALYSIS_THREADS: "1" },
      logLevel: "silent",
    });
    // The same two commits as a git repository: main, and the pull request's branch.
    repo = createGitRepo("covenant-verdicts-repo-");
    repo.commit(SHOP, "shop");
    repo.git("switch", "-q", "-c", "reshape");
    repo.commit({ [MIGRATION]: CHANGE }, "reshape");
    repo.git("switch", "-q", "main");
  });

  afterAll(async () => {
    await server?.close();
    repo?.remove();
  });

  const app = async (): Promise<Judged & { run: CheckRun }> => {
    const payload = pullRequestPayload({ number: 7, sha: HEAD_SHA, base: { sha: BASE_SHA, ref: "main" } });
    const delivery = await server.deliver("pull_request", payload);
    expect(delivery.status).toBe(200);
    const run = await completedCheckRun(server.github, HEAD_SHA);
    // Stored after the check run is published: wait until every violation is there.
    await expect.poll(() => server.server.db.violation.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const stored = await server.server.db.violation.findMany({ where: { prNumber: 7 } });
    const score = /score (\d+)\/100/.exec(run.output?.summary ?? "")?.[1];
    const LEVEL = { failure: "error", warning: "warning", notice: "notice" } as Record<string, string>;
    const annotations = (
      run.annotations as Array<{ path: string; start_line: number; annotation_level: string; title: string }>
    ).map((a) => `${LEVEL[a.annotation_level]} ${a.path}:${a.start_line} ${a.title}`);
    return {
      run,
      conclusion: run.conclusion ?? "",
      score: Number(score),
      violations: stored
        .map((v) =>
          violationLine({
            id: v.fingerprint,
            rule: v.rule,
            severity: v.severity,
            contract: v.contractName,
            enforcement: v.enforcement,
            dataset: v.dataset,
            column: v.column,
            file: v.file,
            line: v.line,
          }),
        )
        .sort(),
      // The App keeps no findings: they are its annotations whose title is a bare rule id.
      findings: (
        run.annotations as Array<{
          path: string;
          start_line: number;
          annotation_level: string;
          title: string;
        }>
      )
        .filter((a) => !a.title.includes(" ("))
        .map(
          (a) =>
            `${a.title} ${a.annotation_level === "notice" ? "info" : "warning"} at ${a.path}:${a.start_line}`,
        )
        .sort(),
      annotations: annotations.sort(),
    };
  };

  const cli = (): Judged & { json: VerdictJson } => {
    const run = (format: string) =>
      spawnSync(process.execPath, [BIN, "check", "--base", "main", "--head", "reshape", "--format", format], {
        cwd: repo.dir,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, GITHUB_ACTIONS: "", GITHUB_BASE_REF: "" },
      });
    const json = run("json");
    expect(json.status, json.stderr).toBe(1);
    const verdict = JSON.parse(json.stdout) as VerdictJson;
    // --format github: the annotations a workflow running the CLI itself would show.
    const github = run("github");
    return { json: verdict, ...fromJson(verdict, workflowAnnotations(github.stdout)) };
  };

  const action = (): Judged & { run: ActionRun } => {
    const run = runActionOnPullRequest({ origin: repo.dir, headRef: "reshape", inputs: { format: "json" } });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const json = JSON.parse(run.stdout.slice(run.stdout.indexOf("{\n"), run.stdout.lastIndexOf("\n}") + 2));
    const judged = fromJson(json as VerdictJson, workflowAnnotations(run.stdout));
    expect(run.outputs.conclusion).toBe(judged.conclusion);
    expect(Number(run.outputs.score)).toBe(judged.score);
    return { run, ...judged };
  };

  test("same violations, findings, annotations, conclusion and score", async () => {
    const fromApp = await app();
    const fromCli = cli();
    const fromAction = action();
    const { run: _run, ...appVerdict } = fromApp;
    const { json, ...cliVerdict } = fromCli;
    const { run: actionRun, ...actionVerdict } = fromAction;

    // The change is judged, not just echoed: every kind of result is there.
    expect(cliVerdict.conclusion).toBe("failure");
    expect(cliVerdict.score).toBeGreaterThan(0);
    expect(cliVerdict.score).toBeLessThan(100); // not capped, so a different sum would show
    expect(json.violations.map((v) => `${v.rule}/${v.enforcement}/${v.severity}`).sort()).toEqual([
      "column-became-required/NOTIFY/error",
      "column-type-changed/BLOCK/error",
      "unique-removed/NOTIFY/warning",
    ]);
    expect(json.findings.map((f) => f.rule)).toEqual(["sql-parse-error"]);

    expect(appVerdict).toEqual(cliVerdict);
    expect(actionVerdict).toEqual(cliVerdict);
    // The Action's job summary is the App's check run output, table for table.
    expect(actionRun.summary).toContain(fromApp.run.output?.summary ?? "(no summary)");
    expect(actionRun.summary).toContain(`## Covenant: ${fromApp.run.output?.title}`);
    expect(actionRun.outputs).toMatchObject({ violations: "3", errors: "2", warnings: "1", findings: "1" });
  });
});
