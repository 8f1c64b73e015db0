import type { BaseSnapshot } from "../analyze.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { emptySchemaState } from "../model/schema.ts";
import { loadPostgresParser } from "../sql/postgres.ts";
import { deserializeSchemaState } from "../sql/replay.ts";
import { buildLineage, type Lineage } from "./build-lineage.ts";

/** The lineage of one revision from its snapshot (the migrations' replay and the dbt graph). */
export const lineageOfSnapshot = async (snapshot: BaseSnapshot): Promise<Lineage> => {
  await loadPostgresParser();
  const state = emptySchemaState();
  const dialects = new Map<string, Dialect>();
  for (const set of snapshot.sets) {
    for (const [name, dataset] of deserializeSchemaState(set.state).datasets) {
      state.datasets.set(name, dataset);
      dialects.set(name, set.dialect);
    }
  }
  return buildLineage({
    state,
    dialectOf: (dataset) => dialects.get(dataset) ?? "postgres",
    dbt: snapshot.dbtGraph ?? [],
  });
};
