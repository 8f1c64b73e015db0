import type { ChangeKind } from "./change.ts";

/** How a change reaches a downstream column: its value, the rows kept (filters, joins), or unknown lineage. */
export type ImpactReach = "projection" | "dependency" | "unknown";

/** The blast radius of one change: what is downstream of it in the lineage, contracted or not. */
export type Impact = {
  kind: ChangeKind;
  dataset: string;
  column?: string;
  file?: string;
  line?: number;
  /** Downstream dbt models, snapshots and datasets, with the columns reached. */
  downstream: Array<{
    node: string;
    kind: string;
    file?: string;
    owners: string[];
    /** `*` when the whole node is reached (its rows, or a model whose lineage is unknown). */
    columns: Array<{ name: string; reach: ImpactReach; path: string }>;
  }>;
  exposures: Array<{
    name: string;
    type?: string;
    url?: string;
    owners: string[];
    reach: ImpactReach;
    path: string;
  }>;
  /** Everyone who owns something downstream (models' meta.owner and group, exposures, contracts). */
  owners: string[];
};
