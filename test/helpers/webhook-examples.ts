// Real webhook payloads and a throwaway App key, without the handler-test harness (which loads
// nock, and nock patches fetch for the whole process: the benchmark must not pay for that).
import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads are arbitrary JSON here
export type Json = any;

let key: string | undefined;
export const testPrivateKey = (): string => {
  key ??= generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs1", format: "pem" })
    .toString();
  return key;
};

type Example = { name: string; examples: Array<Record<string, unknown> & { action?: string }> };
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];

/** A real payload of GitHub's, by event and action (the first with an installation when possible). */
export const examplePayload = (event: string, action?: string): Record<string, Json> => {
  const group = examples.find((e) => e.name === event);
  const candidates = (group?.examples ?? []).filter((e) => action === undefined || e.action === action);
  const chosen = candidates.find((e) => e.installation) ?? candidates[0];
  if (!chosen) throw new Error(`no example payload for ${event}.${action}`);
  return structuredClone(chosen) as Record<string, Json>;
};

export const SHOP_REPOSITORY = { owner: "acme", name: "shop", id: 555 } as const;

/** A real `pull_request` payload of `action` for PR `number` of `repository` (acme/shop) at head `sha`. */
export const pullRequestPayload = ({
  number,
  sha,
  action = "opened",
  installation = 42,
  repository = SHOP_REPOSITORY,
  base,
}: {
  number: number;
  sha: string;
  action?: string;
  installation?: number;
  repository?: { owner: string; name: string; id: number };
  base?: { sha: string; ref: string };
}): Json => {
  const payload = examplePayload("pull_request", action);
  payload.action = action;
  payload.installation = { id: installation };
  payload.repository = {
    ...payload.repository,
    id: repository.id,
    name: repository.name,
    full_name: `${repository.owner}/${repository.name}`,
    owner: { ...payload.repository.owner, login: repository.owner },
  };
  payload.pull_request = {
    ...payload.pull_request,
    number,
    head: { ...payload.pull_request.head, sha },
    ...(base ? { base: { ...payload.pull_request.base, ...base } } : {}),
  };
  return payload;
};
