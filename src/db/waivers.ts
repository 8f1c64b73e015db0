import type { Db } from "./client.ts";
import type { Violation } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

/** The waiver ledger: waived violations, most recently waived first. */
export const listWaivers = (
  db: Db,
  installationId: string,
  filters: { repo?: string; contractId?: string },
  request: PageRequest,
): Promise<Page<Violation>> =>
  paginate<Violation>(db.violation, {
    where: {
      installationId,
      status: "waived",
      ...(filters.repo ? { gitRepo: filters.repo } : {}),
      ...(filters.contractId ? { contractId: filters.contractId } : {}),
    },
    field: "waivedAt",
    direction: "desc",
    request,
  });
