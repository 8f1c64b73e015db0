import type { SourceLocation } from "./schema.ts";

/**
 * What replay saw happen, statement by statement. The diff reads these (not a parser's AST) to
 * tell explicit renames from drop + add and to place each change at the statement that made it.
 */
export type SchemaEvent =
  | {
      kind: "dataset-created" | "dataset-dropped" | "dataset-redefined";
      dataset: string;
      location: SourceLocation;
    }
  | { kind: "dataset-renamed"; dataset: string; to: string; location: SourceLocation }
  | {
      kind: "column-added" | "column-dropped" | "column-altered";
      dataset: string;
      column: string;
      location: SourceLocation;
    }
  | { kind: "column-renamed"; dataset: string; column: string; to: string; location: SourceLocation }
  | { kind: "constraint-changed"; dataset: string; location: SourceLocation }
  | { kind: "enum-changed"; enum: string; location: SourceLocation };
