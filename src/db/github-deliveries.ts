import type { Db } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";

/**
 * Claims a webhook delivery: true the first time, false for a redelivery (GitHub redelivers with
 * the same id). One insert, so acknowledging a webhook costs as little as possible.
 */
export const claimDelivery = async (
  db: Db,
  { id, event }: { id: string; event: string },
): Promise<boolean> => {
  try {
    await db.webhookDelivery.create({ data: { id, event } });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
};

/** Gives a delivery back when handling it failed, so GitHub's redelivery is handled again. */
export const releaseDelivery = async (db: Db, id: string): Promise<void> => {
  await db.webhookDelivery.deleteMany({ where: { id } });
};
