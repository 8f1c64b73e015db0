// The GitHub Action's entry (action.yml runs the compiled dist/action/main.js): the real process,
// files and GitHub API wired into runAction; no logic here.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { useOneShotCompilers } from "../cli/one-shot-compilers.ts";
import type { CommentRequest } from "./run-action.ts";

// One check, then exit: set before the engine (and its WebAssembly parser) loads.
useOneShotCompilers();
const { runAction } = await import("./run-action.ts");

const upsertComment = async (request: CommentRequest): Promise<void> => {
  const { ProbotOctokit } = await import("probot");
  const { upsertStickyComment } = await import("../github/sticky-comment.ts");
  const { USER_AGENT } = await import("../version.ts");
  const octokit = new ProbotOctokit({
    auth: { token: request.token },
    baseUrl: request.apiUrl,
    userAgent: USER_AGENT,
  });
  await upsertStickyComment(octokit, { ...request, knownId: null, searchIfUnknown: true });
};

process.exitCode = await runAction({
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  readFile: (path) => readFileSync(path, "utf8"),
  writeFile: (path, text) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  },
  appendFile: (path, text) => appendFileSync(path, text),
  upsertComment,
});
