import type { Logger } from "pino";
import type { Waiver } from "../core/enforce/judge.ts";
import type { Verdict, Violation } from "../core/model/violation.ts";
import type { Db } from "../db/client.ts";
import { listPullRequestWaivers, waivePullRequestViolation } from "../db/github-violations.ts";
import { isContractOwner } from "./owners.ts";
import type { Octokit } from "./read-repository.ts";

export type WaiverRequest =
  | { kind: "comment"; by: string; violationId: string; reason: string; commentId: number }
  | { kind: "review"; by: string; reason: string };

/** `/covenant waive <violation-id> <reason>` anywhere in a comment, one per line. */
export const parseWaiveCommand = (body: string): { violationId: string; reason: string } | null => {
  const match = /^\s*\/covenant\s+waive\s+(\S+)(?:\s+(.+))?$/im.exec(body);
  if (!match) return null;
  return { violationId: match[1]!, reason: (match[2] ?? "").trim() };
};

type PrKey = { installationId: string; repoFullName: string; prNumber: number };
type Pr = { number: number; base: { repo: { owner: { login: string }; name: string } } };

const findViolation = (violations: readonly Violation[], id: string): Violation | undefined =>
  violations.find((v) => v.id === id) ??
  (id.length >= 6 ? violations.filter((v) => v.id.startsWith(id)).at(0) : undefined);

/**
 * Checks the waiver against the contract owners (team membership through the API), records it,
 * and answers the person who asked. Returns every waiver of the PR when one was given, else [].
 */
export const applyWaiverRequest = async ({
  octokit,
  db,
  logger,
  prKey,
  pr,
  verdict,
  request,
}: {
  octokit: Octokit;
  db: Db;
  logger: Logger;
  prKey: PrKey;
  pr: Pr;
  verdict: Verdict;
  request: WaiverRequest;
}): Promise<Waiver[]> => {
  const [owner, repo] = [pr.base.repo.owner.login, pr.base.repo.name];
  const reply = (body: string) =>
    octokit.rest.issues.createComment({ owner, repo, issue_number: pr.number, body });
  const open = verdict.violations.filter((v) => !v.waived);
  let targets: Violation[];
  if (request.kind === "comment") {
    const violation = findViolation(verdict.violations, request.violationId);
    if (!violation) {
      await reply(
        `@${request.by} there is no Covenant violation \`${request.violationId}\` on this pull request; the ids are listed in the Covenant comment and check run.`,
      );
      return [];
    }
    if (!request.reason) {
      await reply(
        `@${request.by} please give a reason: \`/covenant waive ${violation.id} <reason>\`. Waivers are kept with who, when and why.`,
      );
      return [];
    }
    if (!(await isContractOwner(octokit, { login: request.by, owners: violation.owners ?? [] }))) {
      await reply(
        `@${request.by} thanks, but only the owners of contract \`${violation.contract}\` (${(violation.owners ?? []).join(", ") || "none listed"}) can waive its violations. Please ask one of them to comment \`/covenant waive ${violation.id} <reason>\` or approve the pull request.`,
      );
      return [];
    }
    targets = [violation];
  } else {
    targets = [];
    for (const violation of open) {
      if (await isContractOwner(octokit, { login: request.by, owners: violation.owners ?? [] }))
        targets.push(violation);
    }
    if (targets.length === 0) return [];
  }
  const at = new Date();
  for (const violation of targets) {
    await waivePullRequestViolation(db, {
      ...prKey,
      fingerprint: violation.id,
      by: request.by,
      reason: request.reason,
      at,
    });
  }
  logger.info({ ...prKey, by: request.by, waived: targets.map((v) => v.id) }, "violations waived");
  if (request.kind === "comment") {
    await octokit.rest.reactions.createForIssueComment({
      owner,
      repo,
      comment_id: request.commentId,
      content: "+1",
    });
  }
  return listPullRequestWaivers(db, prKey);
};
