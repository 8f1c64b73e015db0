import type { Db } from "./client.ts";

/** A cached base: whatever the App needs to analyse a PR on this commit without reading it again. */
export const getSchemaSnapshot = async (
  db: Db,
  repositoryId: string,
  commitSha: string,
): Promise<unknown> => {
  const row = await db.schemaSnapshot.findUnique({
    where: { repositoryId_commitSha: { repositoryId, commitSha } },
    select: { data: true },
  });
  return row ? JSON.parse(row.data) : null;
};

export const saveSchemaSnapshot = async (
  db: Db,
  { repositoryId, commitSha, data }: { repositoryId: string; commitSha: string; data: unknown },
): Promise<void> => {
  const text = JSON.stringify(data);
  await db.schemaSnapshot.upsert({
    where: { repositoryId_commitSha: { repositoryId, commitSha } },
    create: { repositoryId, commitSha, data: text },
    update: { data: text },
  });
};
