// Real webhook payloads and a throwaway App key, without the handler-test harness (which loads
// nock, and nock patches fetch for the whole process: the benchmark must not pay for that).
import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads are arbitrary JSON here
type Json = any;

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
