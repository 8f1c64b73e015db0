// The data and contracts of the "promises" tests (the CLI's `validate --source` and the API's
// POST /contracts/{id}/validate): order lines and prices written as every kind of file source and
// into a PostgreSQL database, and the contracts both judge them with.
import { join } from "node:path";
import { createPgDatabase, type TestPgDatabase } from "./pg-database.ts";
import {
  GHOST_RULES,
  LINES_CONTRACT,
  PRICES_CONTRACT,
  PRICES_WITH_TAX,
  writeLines,
  writePgLines,
  writePgPrices,
  writePrices,
} from "./validation-data.ts";

export const FILE_KINDS = ["sqlite", "csv", "jsonl", "parquet"] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** `lines.db`, `lines.csv`, …: the file of `name` for a kind of source. */
export const fileName = (name: string, kind: FileKind): string =>
  `${name}.${kind === "sqlite" ? "db" : kind}`;

/** The contracts by name: the lines' composite key, order_id alone, rules on a missing column, prices. */
export const PROMISE_CONTRACTS = {
  lines: LINES_CONTRACT(),
  "order-key": LINES_CONTRACT("[order_id]"),
  ghosts: `${LINES_CONTRACT("[sku]")}${GHOST_RULES}`,
  prices: PRICES_CONTRACT,
  "prices-tax": PRICES_WITH_TAX,
} as const;

/** lines.*, prices.* and long-prices.* (a currency longer than char(3)) of every kind, in `dir`. */
export const writePromiseFiles = async (dir: string): Promise<void> => {
  for (const kind of FILE_KINDS) {
    await writeLines(kind, join(dir, fileName("lines", kind)));
    await writePrices(kind, join(dir, fileName("prices", kind)));
    await writePrices(kind, join(dir, fileName("long-prices", kind)), { long: true });
  }
};

/** A new PostgreSQL database holding the order lines and the prices. */
export const createPromisePgDatabase = async (prefix: string): Promise<TestPgDatabase> => {
  const db = await createPgDatabase(prefix);
  await writePgLines(db);
  await writePgPrices(db);
  return db;
};
