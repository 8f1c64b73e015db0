/*
 * The fields Covenant's handlers read, per event, checked before any handler runs: a validly
 * signed body that is not what its X-GitHub-Event says (null, an array, another event's payload)
 * is refused with a 400 naming the field, instead of failing inside a handler with a TypeError.
 * Objects are loose: GitHub adds fields over time and a new field must never refuse a delivery.
 *
 * A checker of its own rather than a zod schema: this runs on the thread that acknowledges
 * webhooks, once per delivery. zod's loose objects copy every key of the payload (a pull_request
 * payload has a few hundred), about 0.13 ms and a payload's worth of garbage per delivery; this
 * reads only the fields named here and allocates nothing unless something is wrong.
 */

/** A problem found at `path` (`""` is the body itself), or null. */
type Check = (value: unknown, path: string) => string | null;
type ObjectSchema = { check: Check; shape: Record<string, Check> };

const at = (path: string, key: string | number) => (path === "" ? String(key) : `${path}.${key}`);

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : value === undefined
        ? "nothing"
        : typeof value;

const problem = (path: string, expected: string, value: unknown) =>
  `${path === "" ? "the body" : path}: expected ${expected}, got ${describe(value)}`;

const is =
  (expected: string, test: (value: unknown) => boolean): Check =>
  (value, path) =>
    test(value) ? null : problem(path, expected, value);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string Covenant can store: GitHub never sends a NUL character or an unpaired surrogate in the
 * fields read here, and PostgreSQL refuses both (the delivery's write failed with a 500).
 */
const str: Check = (value, path) => {
  if (typeof value !== "string") return problem(path, "a string", value);
  if (value.includes("\u0000"))
    return `${path}: a NUL character (\\u0000), which no GitHub name or text holds`;
  if (LONE_SURROGATE.test(value))
    return `${path}: an unpaired UTF-16 surrogate, which is not text GitHub sends`;
  return null;
};
const bool = is("a boolean", (v) => typeof v === "boolean");
const id = is("a positive integer", (v) => typeof v === "number" && Number.isInteger(v) && v > 0);
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const sha = is("a git commit SHA", (v) => typeof v === "string" && SHA.test(v));
const timestamp = is("a string or a number", (v) => typeof v === "string" || typeof v === "number");

const optional =
  (check: Check): Check =>
  (value, path) =>
    value === undefined ? null : check(value, path);
const nullish =
  (check: Check): Check =>
  (value, path) =>
    value === undefined || value === null ? null : check(value, path);

const array =
  (item: Check): Check =>
  (value, path) => {
    if (!Array.isArray(value)) return problem(path, "an array", value);
    for (let i = 0; i < value.length; i++) {
      const found = item(value[i], at(path, i));
      if (found) return found;
    }
    return null;
  };

const obj = (shape: Record<string, Check>): ObjectSchema => {
  const keys = Object.keys(shape);
  return {
    shape,
    check: (value, path) => {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return problem(path, "an object", value);
      const record = value as Record<string, unknown>;
      for (const key of keys) {
        const found = shape[key]!(record[key], at(path, key));
        if (found) return found;
      }
      return null;
    },
  };
};
const extend = (base: ObjectSchema, shape: Record<string, Check>) => obj({ ...base.shape, ...shape });

const installation = obj({ id });
const repository = obj({
  id,
  name: str,
  full_name: str,
  private: bool,
  default_branch: optional(str),
  owner: obj({ login: str }).check,
});
const pullRef = obj({ number: id, head: obj({ sha }).check });
const user = obj({ login: str });
const repositoryRef = obj({ id, full_name: optional(str), private: optional(bool) });

const withRepository = (shape: Record<string, Check>) =>
  obj({
    action: optional(str),
    repository: repository.check,
    installation: optional(installation.check),
    ...shape,
  }).check;

const checks: Record<string, Check> = {
  pull_request: withRepository({
    action: str,
    pull_request: extend(pullRef, {
      merged: nullish(bool),
      merge_commit_sha: nullish(str),
      merged_at: nullish(str),
    }).check,
  }),
  pull_request_review: withRepository({
    action: str,
    review: obj({ state: str, body: nullish(str), user: nullish(user.check) }).check,
    pull_request: pullRef.check,
  }),
  check_suite: withRepository({
    action: str,
    check_suite: obj({ pull_requests: array(pullRef.check) }).check,
  }),
  check_run: withRepository({
    action: str,
    check_run: obj({ name: str, pull_requests: array(pullRef.check) }).check,
  }),
  issue_comment: withRepository({
    action: str,
    issue: obj({ number: id, pull_request: nullish(obj({}).check) }).check,
    comment: obj({ id, body: str, user: nullish(extend(user, { type: optional(str) }).check) }).check,
  }),
  push: withRepository({
    ref: str,
    after: str,
    deleted: bool,
    commits: array(
      obj({ added: optional(array(str)), modified: optional(array(str)), removed: optional(array(str)) })
        .check,
    ),
    head_commit: nullish(obj({ timestamp: str }).check),
    pusher: obj({ name: str }).check,
    repository: extend(repository, { owner: obj({ login: optional(str), name: optional(str) }).check }).check,
  }),
  merge_group: withRepository({
    action: str,
    merge_group: obj({
      head_sha: sha,
      head_ref: str,
      base_sha: sha,
      head_commit: nullish(obj({ message: str }).check),
    }).check,
  }),
  installation: obj({
    action: str,
    installation: extend(installation, {
      account: nullish(obj({}).check),
      updated_at: nullish(timestamp),
      suspended_at: nullish(timestamp),
    }).check,
    repositories: optional(array(repositoryRef.check)),
  }).check,
  installation_repositories: obj({
    action: str,
    installation: extend(installation, { account: nullish(obj({}).check) }).check,
    repositories_added: array(repositoryRef.check),
    repositories_removed: array(extend(repositoryRef, { full_name: optional(str) }).check),
  }).check,
};

/** Any other event: ignored by Covenant, but still a JSON object as GitHub sends. */
const anyEvent = obj({ installation: optional(installation.check) }).check;

/** Null when the payload has the shape its event needs, else what is wrong, first problem first. */
export const webhookPayloadProblem = (event: string, payload: unknown): string | null =>
  (Object.hasOwn(checks, event) ? checks[event]! : anyEvent)(payload, "");
