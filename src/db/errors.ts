/** Prisma's "unique constraint failed" (P2002), whichever driver adapter raised it. */
export const isUniqueViolation = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "code" in error &&
  (error as { code: unknown }).code === "P2002";
