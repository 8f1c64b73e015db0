import { z } from "zod";

/*
 * The fields Covenant's handlers read, per event, checked before any handler runs: a validly
 * signed body that is not what its X-GitHub-Event says (null, an array, another event's payload)
 * is refused with a 400 naming the field, instead of failing inside a handler with a TypeError.
 * Objects are loose: GitHub adds fields over time and a new field must never refuse a delivery.
 */
const id = z.number().int().positive();
const sha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "a git commit SHA");
const timestamp = z.union([z.string(), z.number()]);
const obj = z.looseObject;
const installation = obj({ id });
const repository = obj({
  id,
  name: z.string(),
  full_name: z.string(),
  private: z.boolean(),
  default_branch: z.string().optional(),
  owner: obj({ login: z.string() }),
});
const pullRef = obj({ number: id, head: obj({ sha }) });
const user = obj({ login: z.string() });
const repositoryRef = obj({ id, full_name: z.string().optional(), private: z.boolean().optional() });

const withRepository = <T extends z.core.$ZodLooseShape>(shape: T) =>
  obj({ action: z.string().optional(), repository, installation: installation.optional(), ...shape });

const schemas: Record<string, z.ZodType> = {
  pull_request: withRepository({
    action: z.string(),
    pull_request: pullRef.extend({
      merged: z.boolean().nullish(),
      merge_commit_sha: z.string().nullish(),
      merged_at: z.string().nullish(),
    }),
  }),
  pull_request_review: withRepository({
    action: z.string(),
    review: obj({ state: z.string(), body: z.string().nullish(), user: user.nullish() }),
    pull_request: pullRef,
  }),
  check_suite: withRepository({ action: z.string(), check_suite: obj({ pull_requests: z.array(pullRef) }) }),
  check_run: withRepository({
    action: z.string(),
    check_run: obj({ name: z.string(), pull_requests: z.array(pullRef) }),
  }),
  issue_comment: withRepository({
    action: z.string(),
    issue: obj({ number: id, pull_request: obj({}).nullish() }),
    comment: obj({ id, body: z.string(), user: user.extend({ type: z.string().optional() }).nullish() }),
  }),
  push: withRepository({
    ref: z.string(),
    after: z.string(),
    deleted: z.boolean(),
    commits: z.array(
      obj({
        added: z.array(z.string()).optional(),
        modified: z.array(z.string()).optional(),
        removed: z.array(z.string()).optional(),
      }),
    ),
    head_commit: obj({ timestamp: z.string() }).nullish(),
    pusher: obj({ name: z.string() }),
    repository: repository.extend({
      owner: obj({ login: z.string().optional(), name: z.string().optional() }),
    }),
  }),
  merge_group: withRepository({
    action: z.string(),
    merge_group: obj({
      head_sha: sha,
      head_ref: z.string(),
      base_sha: sha,
      head_commit: obj({ message: z.string() }).nullish(),
    }),
  }),
  installation: obj({
    action: z.string(),
    installation: installation.extend({
      account: obj({}).nullish(),
      updated_at: timestamp.nullish(),
      suspended_at: timestamp.nullish(),
    }),
    repositories: z.array(repositoryRef).optional(),
  }),
  installation_repositories: obj({
    action: z.string(),
    installation: installation.extend({ account: obj({}).nullish() }),
    repositories_added: z.array(repositoryRef),
    repositories_removed: z.array(repositoryRef.extend({ full_name: z.string().optional() })),
  }),
};

/** Any other event: ignored by Covenant, but still a JSON object as GitHub sends. */
const anyEvent = obj({ installation: installation.optional() });

/** Null when the payload has the shape its event needs, else what is wrong, first problem first. */
export const webhookPayloadProblem = (event: string, payload: unknown): string | null => {
  const result = (schemas[event] ?? anyEvent).safeParse(payload);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const at = issue.path.length > 0 ? issue.path.join(".") : "the body";
  return `${at}: ${issue.message}`;
};
