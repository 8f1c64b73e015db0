import type { Db } from "./client.ts";

/** True when this webhook delivery was already handled (GitHub redelivers with the same id). */
export const isDeliveryHandled = async (db: Db, id: string): Promise<boolean> =>
  (await db.webhookDelivery.findUnique({ where: { id }, select: { id: true } })) !== null;

/** Remembers a handled delivery; recording it twice is harmless. */
export const recordDelivery = async (db: Db, { id, event }: { id: string; event: string }): Promise<void> => {
  await db.webhookDelivery.upsert({ where: { id }, create: { id, event }, update: {} });
};
