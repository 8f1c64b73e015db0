import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { Assignment } from "./generated/sqlite/client.ts";

export type { Assignment as AssignmentRow } from "./generated/sqlite/client.ts";

export type AssignmentKey = {
  installationId: string;
  contractId: string;
  resourceType: string;
  resourceId: string;
};

export const listAssignments = (db: Db, installationId: string, contractId: string): Promise<Assignment[]> =>
  db.assignment.findMany({
    where: { installationId, contractId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });

const findAssignment = (db: Db, key: AssignmentKey) =>
  db.assignment.findFirst({
    where: {
      installationId: key.installationId,
      contractId: key.contractId,
      resourceType: key.resourceType,
      resourceId: key.resourceId,
    },
  });

/** Idempotent: assigning twice returns the existing assignment with `created: false`. */
export const assignContract = async (
  db: Db,
  key: AssignmentKey & { createdBy?: string | null },
): Promise<{ assignment: Assignment; created: boolean }> => {
  const existing = await findAssignment(db, key);
  if (existing) return { assignment: existing, created: false };
  try {
    const assignment = await db.assignment.create({
      data: {
        installationId: key.installationId,
        contractId: key.contractId,
        resourceType: key.resourceType,
        resourceId: key.resourceId,
        createdBy: key.createdBy ?? null,
      },
    });
    return { assignment, created: true };
  } catch (error) {
    // A concurrent identical assign won the race: same outcome as an idempotent repeat.
    if (isUniqueViolation(error)) {
      const raced = await findAssignment(db, key);
      if (raced) return { assignment: raced, created: false };
    }
    throw error;
  }
};

/** Removes an assignment; not_found when there was none. */
export const unassignContract = async (db: Db, key: AssignmentKey): Promise<void> => {
  const { count } = await db.assignment.deleteMany({
    where: {
      installationId: key.installationId,
      contractId: key.contractId,
      resourceType: key.resourceType,
      resourceId: key.resourceId,
    },
  });
  if (count === 0) {
    throw new CovenantError(
      "not_found",
      `The contract is not assigned to ${key.resourceType} "${key.resourceId}".`,
    );
  }
};
