import { statSync } from "node:fs";

/**
 * What identifies one PostgreSQL database whatever name, address or port reaches it: the start
 * time of its server, and its oid and name there. Readable by any role.
 */
export const POSTGRES_IDENTITY_SQL =
  "SELECT pg_postmaster_start_time()::text || ' ' || d.oid::text || ' ' || d.datname AS identity FROM pg_database d WHERE d.datname = current_database()";

/** Two paths name the same file (through symlinks and hard links too). */
export const sameFile = (a: string, b: string): boolean => {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
};
