import { execFileSync } from "node:child_process";
import { isAbsolute, join, resolve } from "node:path";
import { openGitRepo } from "../cli/git.ts";
import { judgeGitChange } from "../cli/judge-git-change.ts";
import { levelActions } from "../core/enforce/judge.ts";
import { CovenantError, isCovenantError } from "../core/errors.ts";
import type { Verdict } from "../core/model/violation.ts";
import { renderCheckRun } from "../core/report/render-check-run.ts";
import { type GithubAnnotation, githubAnnotations, githubVerdictLine } from "../core/report/render-github.ts";
import { renderJson } from "../core/report/render-json.ts";
import { renderPrComment } from "../core/report/render-pr-comment.ts";
import { renderSarif } from "../core/report/render-sarif.ts";
import { renderText } from "../core/report/render-text.ts";
import { VERSION } from "../version.ts";

/** What the Action may touch; the entry passes the process's, tests their own. */
export type ActionIO = {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  readFile: (path: string) => string;
  writeFile: (path: string, text: string) => void;
  appendFile: (path: string, text: string) => void;
  /** Keeps the one sticky PR comment (comment: true); loaded only when asked for. */
  upsertComment?: (request: CommentRequest) => Promise<void>;
};

export type CommentRequest = {
  token: string;
  apiUrl: string;
  owner: string;
  repo: string;
  issueNumber: number;
  body: string;
  /** False when all is clear: an existing comment is updated, none is opened to say nothing. */
  createIfMissing: boolean;
};

/**
 * GitHub shows at most this many annotations of each of error and warning (and notice) level from
 * one step; more are dropped silently. The rest go to the job summary (and the SARIF file).
 */
export const ANNOTATIONS_PER_LEVEL = 10;

const FAIL_ON = ["error", "warning", "never"] as const;
const FORMATS = ["text", "json", "sarif"] as const;
type FailOn = (typeof FAIL_ON)[number];

type Inputs = {
  config?: string;
  base?: string;
  head: string;
  workingDirectory: string;
  format: (typeof FORMATS)[number];
  failOn: FailOn;
  sarifFile: string;
  comment: boolean;
  token?: string;
};

/** An input as the runner passes it: INPUT_<NAME> (upper case, spaces as _), empty when unset. */
const input = (env: ActionIO["env"], name: string): string | undefined => {
  const value = env[`INPUT_${name.replaceAll(" ", "_").toUpperCase()}`]?.trim();
  return value ? value : undefined;
};

const oneOf = <T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T => {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CovenantError("invalid_input", `input ${name} is "${value}": use one of ${allowed.join(", ")}`);
};

const readInputs = (env: ActionIO["env"]): Inputs => {
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const workingDirectory = resolve(workspace, input(env, "working-directory") ?? ".");
  const sarif = input(env, "sarif-file") ?? join(env.RUNNER_TEMP ?? workingDirectory, "covenant.sarif");
  const comment = oneOf("comment", input(env, "comment"), ["true", "false"], "false") === "true";
  const config = input(env, "config");
  const base = input(env, "base");
  const token = input(env, "token");
  return {
    ...(config ? { config } : {}),
    ...(base ? { base } : {}),
    head: input(env, "head") ?? "HEAD",
    workingDirectory,
    format: oneOf("format", input(env, "format"), FORMATS, "text"),
    failOn: oneOf("fail-on", input(env, "fail-on"), FAIL_ON, "error"),
    sarifFile: isAbsolute(sarif) ? sarif : resolve(workingDirectory, sarif),
    comment,
    ...(token ? { token } : {}),
  };
};

type Event = {
  pull_request?: { number: number; base: { sha: string; ref: string }; head: { sha: string } };
  merge_group?: { base_sha: string; head_sha: string };
  before?: string;
  repository?: { name: string; owner: { login: string } };
};

const readEvent = (io: ActionIO): Event => {
  const path = io.env.GITHUB_EVENT_PATH;
  if (!path) return {};
  try {
    return JSON.parse(io.readFile(path)) as Event;
  } catch (error) {
    throw new CovenantError(
      "invalid_input",
      `GITHUB_EVENT_PATH ${path} cannot be read: ${(error as Error).message}`,
    );
  }
};

/** The base to compare with: the input, else the PR's (or merge queue's, or push's) base. */
const baseOf = (inputs: Inputs, event: Event): string => {
  if (inputs.base) return inputs.base;
  if (event.pull_request) return event.pull_request.base.sha;
  if (event.merge_group) return event.merge_group.base_sha;
  if (event.before && !/^0+$/.test(event.before)) return event.before;
  throw new CovenantError(
    "invalid_input",
    "no base to compare with: this event is not a pull request, merge group or push; set the input base (e.g. base: main)",
  );
};

/**
 * actions/checkout fetches one commit (depth 1): the base and the merge base are missing. Fetch
 * the base, then deepen both histories until they meet (at most a few round trips), and say
 * exactly what to set when the remote cannot be reached.
 */
const ensureHistory = (dir: string, base: string, head: string, log: (text: string) => void): string => {
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      .toString()
      .trim();
  const has = (rev: string) => {
    try {
      git("rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`);
      return true;
    } catch {
      return false;
    }
  };
  const mergeBaseKnown = () => {
    try {
      git("merge-base", base, head);
      return true;
    } catch {
      return false;
    }
  };
  const fetch = (...args: string[]) => {
    try {
      git("fetch", "--no-tags", "--quiet", ...args);
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new CovenantError(
        "invalid_input",
        `git fetch ${args.join(" ")} failed (${stderr || (error as Error).message}). Covenant needs the base and the merge base: set fetch-depth: 0 on actions/checkout, or let this step reach the remote "origin".`,
      );
    }
  };
  if (!has(base)) {
    log(`covenant: fetching the base ${base} (a shallow checkout does not have it)\n`);
    // A branch name is fetched as the remote's branch; a commit id as it is.
    const isId = /^[0-9a-f]{40}$/i.test(base);
    fetch("--depth=1", "origin", isId ? base : `+refs/heads/${base}:refs/remotes/origin/${base}`);
    if (!isId) base = `origin/${base}`;
  }
  if (mergeBaseKnown()) return git("rev-parse", `${base}^{commit}`);
  const shallow = git("rev-parse", "--is-shallow-repository") === "true";
  if (!shallow)
    throw new CovenantError("invalid_input", `${base} and ${head} share no history: nothing to compare`);
  const baseId = git("rev-parse", `${base}^{commit}`);
  const headId = git("rev-parse", `${head}^{commit}`);
  for (const depth of [1, 10, 100, 1000]) {
    log(`covenant: deepening the shallow history by ${depth} to find the merge base\n`);
    fetch(`--deepen=${depth}`, "origin", baseId, headId);
    if (mergeBaseKnown()) return baseId;
  }
  log("covenant: fetching the whole history to find the merge base\n");
  fetch("--unshallow", "origin", baseId, headId);
  if (!mergeBaseKnown())
    throw new CovenantError("invalid_input", `${base} and ${head} share no history: nothing to compare`);
  return baseId;
};

/** The annotations GitHub will show (the first 10 per level), and those it would drop. */
export const limitAnnotations = (all: readonly GithubAnnotation[]) => {
  const shown: GithubAnnotation[] = [];
  const dropped: GithubAnnotation[] = [];
  const used = new Map<string, number>();
  for (const annotation of all) {
    const n = used.get(annotation.level) ?? 0;
    if (n < ANNOTATIONS_PER_LEVEL) shown.push(annotation);
    else dropped.push(annotation);
    used.set(annotation.level, n + 1);
  }
  return { shown, dropped };
};

const counts = (verdict: Verdict) => {
  const open = verdict.violations.filter((v) => !v.waived);
  return {
    violations: open.length,
    errors: open.filter((v) => v.severity === "error").length,
    warnings: open.filter((v) => v.severity === "warning").length,
    waived: verdict.violations.length - open.length,
    findings: verdict.findings.length,
    changes: verdict.changes.length,
  };
};

/** Whether the step fails: `error` as the App's check (a blocking violation), `warning` on any open one. */
export const stepFails = (verdict: Verdict, failOn: FailOn): boolean => {
  if (failOn === "never") return false;
  if (verdict.conclusion === "failure") return true;
  return failOn === "warning" && (verdict.conclusion === "neutral" || counts(verdict).violations > 0);
};

/** The job summary: the App's check-run title and table, and the annotations GitHub would drop. */
export const renderJobSummary = (verdict: Verdict, dropped: readonly GithubAnnotation[]): string => {
  const output = renderCheckRun(verdict);
  const lines = [`## Covenant: ${output.title}`, "", output.summary, ""];
  if (dropped.length > 0) {
    lines.push(
      `> GitHub shows at most ${ANNOTATIONS_PER_LEVEL} error, ${ANNOTATIONS_PER_LEVEL} warning and ${ANNOTATIONS_PER_LEVEL} notice annotations per step: ${dropped.length} more are not annotated on the diff. Every violation is in the table above and in the SARIF file.`,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
};

/** `name=value` lines for GITHUB_OUTPUT (values here never hold a newline). */
const outputLines = (values: Record<string, string | number>): string =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");

/**
 * The GitHub Action: judges the pull request's change like `covenant check` (same engine, same
 * git reading), then reports it the ways a workflow can: annotations, the job summary, outputs,
 * a SARIF file and, when asked, the App's sticky PR comment. Resolves to the exit code.
 */
export const runAction = async (io: ActionIO): Promise<number> => {
  try {
    return await judgeAndReport(io);
  } catch (error) {
    const message = isCovenantError(error)
      ? [error.message, ...error.details.map((d) => d.message)].join("\n")
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    io.stdout(
      `::error title=Covenant could not judge this change::${message.replaceAll("%", "%25").replaceAll("\n", "%0A")}\n`,
    );
    const outputFile = io.env.GITHUB_OUTPUT;
    if (outputFile) io.appendFile(outputFile, outputLines({ conclusion: "error" }));
    return 2;
  }
};

const judgeAndReport = async (io: ActionIO): Promise<number> => {
  const inputs = readInputs(io.env);
  const event = readEvent(io);
  const base = baseOf(inputs, event);
  const git = openGitRepo(inputs.workingDirectory);
  const baseId = ensureHistory(git.root, base, inputs.head, io.stdout);
  const verdict = await judgeGitChange({
    git,
    base: baseId,
    head: git.resolve(inputs.head),
    ...(inputs.config ? { configText: io.readFile(resolve(git.root, inputs.config)) } : {}),
  });

  const { shown, dropped } = limitAnnotations(githubAnnotations(verdict));
  for (const annotation of shown) io.stdout(`${annotation.command}\n`);
  if (dropped.length > 0)
    io.stdout(
      `covenant: ${dropped.length} more annotations are in the job summary (GitHub shows ${ANNOTATIONS_PER_LEVEL} per level and step)\n`,
    );
  if (inputs.format === "json") io.stdout(renderJson(verdict));
  else if (inputs.format === "sarif") io.stdout(renderSarif(verdict, VERSION));
  else io.stdout(renderText(verdict, { color: false }));
  io.stdout(`${githubVerdictLine(verdict)}\n`);

  io.writeFile(inputs.sarifFile, renderSarif(verdict, VERSION));
  if (io.env.GITHUB_STEP_SUMMARY)
    io.appendFile(io.env.GITHUB_STEP_SUMMARY, renderJobSummary(verdict, dropped));
  if (io.env.GITHUB_OUTPUT) {
    io.appendFile(
      io.env.GITHUB_OUTPUT,
      outputLines({
        conclusion: verdict.conclusion,
        score: verdict.score,
        status: verdict.status,
        ...counts(verdict),
        "sarif-file": inputs.sarifFile,
      }),
    );
  }
  if (inputs.comment) await comment(io, inputs, event, verdict);

  if (!stepFails(verdict, inputs.failOn)) return 0;
  io.stdout(`covenant: failing this step (fail-on: ${inputs.failOn}; conclusion ${verdict.conclusion})\n`);
  return 1;
};

const comment = async (io: ActionIO, inputs: Inputs, event: Event, verdict: Verdict): Promise<void> => {
  const pr = event.pull_request;
  const repository = event.repository;
  if (!pr || !repository) {
    io.stdout("covenant: comment: true applies to pull requests; this event has none, so no comment\n");
    return;
  }
  if (!inputs.token)
    throw new CovenantError(
      "invalid_input",
      "comment: true needs a token: pass the input token (the workflow's github.token is enough) and grant the job pull-requests: write",
    );
  if (!io.upsertComment) throw new CovenantError("internal", "this runner cannot post comments");
  // Like the App: a comment is opened only when there is something to say; an existing one is updated.
  await io.upsertComment({
    token: inputs.token,
    apiUrl: io.env.GITHUB_API_URL ?? "https://api.github.com",
    owner: repository.owner.login,
    repo: repository.name,
    issueNumber: pr.number,
    body: renderPrComment(verdict),
    createIfMissing: verdict.violations.some((v) => !v.waived && levelActions(v.enforcement).comment),
  });
};
