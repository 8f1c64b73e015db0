// What the App asks GitHub when it judges a pull request, as nock interceptors: shared by the
// tests that drive it with a real pull_request webhook, so each writes only what it varies.
import type nock from "nock";
import { examplePayload } from "./github-app-harness.ts";
import { type Files, graphqlFilesResponse, treeResponse } from "./github-repo-fixture.ts";

// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON here
type Json = any;

/**
 * The installation token, the pull request (the example payload's, at `base`...`head`), its
 * changed `files`, and the check run created and completed under `checkRunId` (every body it is
 * sent is pushed to `checks`).
 */
export const interceptPullRequest = (
  scope: nock.Scope,
  {
    repo,
    number,
    base,
    head,
    files,
    checkRunId,
    checks,
    tokenOptional = false,
  }: {
    /** `/repos/owner/name` */
    repo: string;
    number: number;
    base: string;
    head: string;
    files: Json[];
    checkRunId: number;
    checks: Json[];
    /** The token may already be cached from an earlier test. */
    tokenOptional?: boolean;
  },
): nock.Scope => {
  const pr = examplePayload("pull_request", "opened").pull_request;
  const token = scope.post("/app/installations/1/access_tokens");
  return (tokenOptional ? token.optionally() : token)
    .reply(201, { token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString() })
    .get(`${repo}/pulls/${number}`)
    .reply(200, {
      ...pr,
      number,
      state: "open",
      head: { ...pr.head, sha: head },
      base: { ...pr.base, sha: base },
      requested_reviewers: [],
      requested_teams: [],
    })
    .post(`${repo}/check-runs`, (body) => checks.push(body) > 0)
    .reply(201, { id: checkRunId })
    .get(`${repo}/pulls/${number}/files`)
    .query({ per_page: 100 })
    .reply(200, files)
    .patch(`${repo}/check-runs/${checkRunId}`, (body) => checks.push(body) > 0)
    .reply(200, { id: checkRunId });
};

/** The base's tree and the files' contents, read in `reads` GraphQL batches from `commits`. */
export const interceptRepositoryRead = (
  scope: nock.Scope,
  {
    repo,
    base,
    commits,
    reads,
  }: { repo: string; base: string; commits: ReadonlyMap<string, Files>; reads: number },
): nock.Scope =>
  scope
    .get(`${repo}/git/trees/${base}`)
    .query({ recursive: "1" })
    .reply(200, treeResponse(base, commits.get(base) ?? {}))
    .post("/graphql")
    .times(reads)
    .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits));

/** The sticky comment and the owners' review request, which a failing NOTIFY+ contract may send. */
export const allowOwnerNotices = (scope: nock.Scope, { repo, number }: { repo: string; number: number }) =>
  scope
    .post(`${repo}/issues/${number}/comments`)
    .optionally()
    .reply(201, { id: 601 })
    .post(`${repo}/pulls/${number}/requested_reviewers`)
    .optionally()
    .reply(201, {});
