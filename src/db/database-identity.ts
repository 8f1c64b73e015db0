import { resolve } from "node:path";
import { POSTGRES_IDENTITY_SQL } from "../sources/own-database.ts";
import type { OwnDatabase } from "../sources/types.ts";
import type { Db } from "./client.ts";
import { sqliteFilePath } from "./schema-engine.ts";

/** Covenant's own database as data sources see it, so that none can be pointed at it. */
export const getDatabaseIdentity = async (db: Db, url: string): Promise<OwnDatabase> => {
  if (db.provider === "sqlite") return { kind: "sqlite", file: resolve(sqliteFilePath(url)) };
  const rows = await db.$queryRawUnsafe<Array<{ identity: string }>>(POSTGRES_IDENTITY_SQL);
  return { kind: "postgres", identity: rows[0]?.identity ?? "" };
};
