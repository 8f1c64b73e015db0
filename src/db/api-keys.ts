import { createHash, randomBytes } from "node:crypto";
import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import type { ApiKey } from "./generated/sqlite/client.ts";

export type { ApiKey as ApiKeyRow } from "./generated/sqlite/client.ts";

export const API_KEY_SCOPES = ["read", "manage", "admin"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_LENGTH = 40;
/** Shown in listings: "cov_" + 8 characters, enough to recognise a key, far too few to guess it. */
const PREFIX_LENGTH = 12;

/** `cov_` + 40 base62 characters (~238 bits), drawn without modulo bias. */
export const generateApiKeySecret = (): string => {
  let out = "";
  while (out.length < SECRET_LENGTH) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < SECRET_LENGTH) out += BASE62[byte % 62];
    }
  }
  return `cov_${out}`;
};

export const hashApiKey = (secret: string): string =>
  createHash("sha256").update(secret, "utf8").digest("hex");

/** Creates a key; the secret is returned here once and never stored (only its sha256 and prefix). */
export const createApiKey = async (
  db: Db,
  input: { installationId: string; name: string; scope: ApiKeyScope; createdBy?: string | null },
): Promise<{ apiKey: ApiKey; secret: string }> => {
  const secret = generateApiKeySecret();
  const apiKey = await db.apiKey.create({
    data: {
      installationId: input.installationId,
      name: input.name,
      scope: input.scope,
      prefix: secret.slice(0, PREFIX_LENGTH),
      hash: hashApiKey(secret),
      createdBy: input.createdBy ?? null,
    },
  });
  return { apiKey, secret };
};

/** The key matching a presented secret (revoked or not: the caller decides), by hash, with its installation's state. */
export const findApiKeyBySecret = (db: Db, secret: string) =>
  db.apiKey.findUnique({
    where: { hash: hashApiKey(secret) },
    include: { installation: { select: { accountLogin: true, suspendedAt: true, deletedAt: true } } },
  });

export const listApiKeys = (db: Db, installationId: string): Promise<ApiKey[]> =>
  db.apiKey.findMany({ where: { installationId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

/** Revokes a key of this installation; revoking twice keeps the first revocation time. */
export const revokeApiKey = async (
  db: Db,
  installationId: string,
  id: string,
  at = new Date(),
): Promise<ApiKey> => {
  const key = await db.apiKey.findFirst({ where: { id, installationId } });
  if (!key) throw new CovenantError("not_found", `API key ${id} not found.`);
  if (key.revokedAt) return key;
  return db.apiKey.update({ where: { id }, data: { revokedAt: at } });
};

export const touchApiKey = async (db: Db, id: string, at: Date): Promise<void> => {
  await db.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } });
};

export const getApiKey = (db: Db, id: string): Promise<ApiKey | null> =>
  db.apiKey.findUnique({ where: { id } });

/** Every key of every installation with its installation's login, for the operator's CLI. */
export const listAllApiKeys = (db: Db) =>
  db.apiKey.findMany({
    include: { installation: { select: { accountLogin: true } } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });

/** Keys that still work, in every installation: none means nobody can use the API yet. */
export const countUsableApiKeys = (db: Db): Promise<number> =>
  db.apiKey.count({ where: { revokedAt: null } });
