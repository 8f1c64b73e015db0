import { type Command, Option } from "commander";
import { DIALECTS, type Dialect } from "../../core/model/contract-levels.ts";
import { formatType } from "../../core/model/normalize-type.ts";
import type { SchemaState } from "../../core/model/schema.ts";
import type { CliIO } from "../io.ts";

export const schemaJson = (state: SchemaState) => ({
  datasets: [...state.datasets.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((dataset) => ({
      name: dataset.name,
      kind: dataset.kind,
      columns: dataset.columns.map((column) => ({
        name: column.name,
        type: formatType(column.type),
        family: column.type.family,
        nullable: column.nullable,
        default: column.default ?? null,
      })),
      primary_key: dataset.primaryKey?.columns ?? [],
    })),
});

export const registerSchema = (program: Command, io: CliIO): void => {
  program
    .command("schema")
    .description(
      "Replay migrations (files, or directories holding migration histories and dbt projects) and print the schema.",
    )
    .argument("<paths...>", "migration files (replayed in the order given) or directories")
    .addOption(new Option("--dialect <dialect>", "SQL dialect").choices(DIALECTS))
    .addOption(new Option("--format <format>", "output format").choices(["json", "text"]).default("json"))
    .action(async (paths: string[], options: { dialect?: Dialect; format: "json" | "text" }) => {
      const { loadSchemaFromPaths } = await import("../read-paths.ts");
      const { state, findings } = await loadSchemaFromPaths(io.cwd, paths, options.dialect);
      const json = schemaJson(state);
      if (options.format === "json") {
        const out = {
          ...json,
          findings: findings.map((f) => ({
            rule: f.rule,
            severity: f.severity,
            file: f.file,
            line: f.line,
            message: f.message,
          })),
        };
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      for (const dataset of json.datasets) {
        lines.push(
          `${dataset.kind} ${dataset.name}${dataset.primary_key.length ? ` (primary key: ${dataset.primary_key.join(", ")})` : ""}`,
        );
        for (const c of dataset.columns) {
          lines.push(
            `  ${c.name} ${c.type}${c.nullable ? "" : " NOT NULL"}${c.default === null ? "" : ` DEFAULT ${c.default}`}`,
          );
        }
      }
      for (const f of findings) lines.push(`${f.severity} ${f.rule} ${f.file}:${f.line}: ${f.message}`);
      io.stdout(`${lines.join("\n")}\n`);
    });
};
