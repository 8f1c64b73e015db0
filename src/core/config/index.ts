export * from "./path-filter.ts";
export * from "./repo-config.ts";
export * from "./yaml-position.ts";
