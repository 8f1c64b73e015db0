export * from "./dbt-project.ts";
export * from "./discover-dbt-projects.ts";
export * from "./read-dbt-models.ts";
export * from "./render-jinja.ts";
export * from "./select-columns.ts";
