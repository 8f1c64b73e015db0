import type { Column } from "../model/schema.ts";
import type { ContractColumn } from "./rule.ts";

/**
 * Column names that carry personal data. Words are matched whole (snake_case or camelCase
 * split), so `ship_address` matches but `ip_address_count`-style counters and flags do not.
 */
const PII_NAMES: RegExp[] = [
  /(^|_)e_?mail(_address)?$/,
  /(^|_)(phone|mobile|cell|fax)(_number|_no)?$/,
  /(^|_)(ssn|social_security(_number)?|sin|nin|national_id|tax_id|tin)$/,
  /(^|_)(first|last|middle|full|given|family|maiden)_name$/,
  /(^|_)(surname|firstname|lastname|fullname)$/,
  /(^|_)((street|postal|home|billing|shipping|mailing)_)?address(_line_?\d)?$/,
  /(^|_)(birth_?date|date_of_birth|dob|birthday|birth_year)$/,
  /(^|_)ip(_address|_addr)?$/,
  /(^|_)(credit_card|card_number|cc_number|pan)(_number)?$/,
  /(^|_)(iban|bic|bank_account(_number)?|account_number)$/,
  /(^|_)(passport|driver_?licen[cs]e|drivers_licen[cs]e)(_number|_no)?$/,
  /(^|_)(gender|ethnicity|religion|salary)$/,
];

const snake = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();

const PII_CLASSIFICATION = /pii|personal|sensitive|restricted|confidential|gdpr/i;

export const looksLikePii = (name: string): boolean => PII_NAMES.some((pattern) => pattern.test(snake(name)));

/** PII by explicit classification (source or contract), else by name. */
export const isPiiColumn = (column: Column, declared?: ContractColumn): boolean => {
  if (declared?.pii === true) return true;
  const classification = declared?.classification ?? column.classification;
  if (classification !== undefined) return PII_CLASSIFICATION.test(classification);
  if (declared?.pii === false) return false;
  return column.type.family !== "boolean" && looksLikePii(column.name);
};
