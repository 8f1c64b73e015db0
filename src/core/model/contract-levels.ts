export const ENFORCEMENT_LEVELS = ["INACTIVE", "RECORD", "NOTIFY", "ALERT", "BLOCK"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

export const CONTRACT_STATUSES = ["draft", "active", "deprecated", "archived"] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

export const enforcementRank = (level: EnforcementLevel): number => ENFORCEMENT_LEVELS.indexOf(level);

export const DIALECTS = ["postgres", "mysql", "mariadb", "sqlite", "bigquery", "snowflake"] as const;
export type Dialect = (typeof DIALECTS)[number];
