import { describe, expect, it } from "vitest";
import { checkSqlExpression, checkSqlQuery, type GuardResult } from "./sql-guard.ts";

const refusal = (result: GuardResult): { message: string; position?: number } => {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result;
};

describe("checkSqlExpression: accepted", () => {
  it.each([
    ["amount_cents >= 0 AND status <> 'void'", ["amount_cents", "status"]],
    ["  amount_cents >= 0  ", ["amount_cents"]],
    ["status <> 'a;b'", ["status"]],
    ["status <> 'it''s -- not a comment /* nor this */'", ["status"]],
    ["status <> ')(' AND (amount > 0)", ["status", "amount"]],
    ['"Weird Col" > 0 AND "we""ird" IS NOT NULL', ["weird col", 'we"ird']],
    ["((a > 0) AND ((b < 1) OR (c IS NULL)))", ["a", "b", "c"]],
    ["status IN ('new', 'paid') AND coalesce(discount, 0) BETWEEN 0 AND 100", ["status", "discount"]],
    ["lower(email) LIKE '%@%' AND NOT email ILIKE '% %'", ["email"]],
    ["length(trim(code)) = 4 AND upper(code) = code", ["code"]],
    ["CASE WHEN status = 'paid' THEN paid_at IS NOT NULL ELSE true END", ["status", "paid_at"]],
    ["greatest(a, b) <= least(c, 100) AND nullif(d, '') IS NOT NULL", ["a", "b", "c", "d"]],
    ["CAST(amount AS numeric(12,2)) >= 0 AND created_at::date <= CURRENT_DATE", ["amount", "created_at"]],
    ["created_at <= now() AND date_trunc('day', created_at) >= DATE '2020-01-01'", ["created_at"]],
    ["extract(year FROM created_at) > 2000 AND substring(code FROM 1 FOR 2) = 'AB'", ["created_at", "code"]],
    ["trim(BOTH ' ' FROM name) <> '' AND position('@' IN email) > 1", ["name", "email"]],
    ["shipped_at IS NULL OR shipped_at >= placed_at", ["shipped_at", "placed_at"]],
    ["flag IS NOT TRUE OR amount IS DISTINCT FROM 0", ["flag", "amount"]],
    ["code ~ '^[A-Z]{2}' AND payload ->> 'kind' = 'x'", ["code", "payload"]],
    ["amount % 2 = 0 AND round(price * 100) = price * 100", ["amount", "price"]],
    ["x <> E", ["x", "e"]],
    ["café = 'é'", ["café"]],
  ])("%s", (text, columns) => {
    expect(checkSqlExpression(text)).toEqual({ ok: true, sql: text.trim(), columns });
  });

  it("accepts a regular expression given as a constant string the regex guard accepts", () => {
    expect(checkSqlExpression("code SIMILAR TO '[A-Z]{2}%' AND code !~* 'x+y'")).toMatchObject({ ok: true });
  });
});

describe("checkSqlExpression: refused", () => {
  it.each([
    // Statement separators and stepping out of the wrapping parentheses
    ["1=1; DROP TABLE t", /found a statement separator ';' at character 4/, 4],
    [
      "1=1) FROM t; DELETE FROM t --",
      /found a '\)' that closes a parenthesis never opened at character 4/,
      4,
    ],
    ["1=1) FROM t UNION SELECT (1", /found a '\)' that closes a parenthesis never opened/, 4],
    ["amount >= 0) OR (1 = (SELECT 1 FROM pg_authid LIMIT 1)", /closes a parenthesis never opened/, 12],
    ["(amount >= 0", /found a '\(' that is never closed at character 1/, 1],
    ["1=1) AS covenant_check FROM covenant_rows WHERE (1=1", /never opened/, 4],
    // Comments
    ["a = 1 -- and the rest", /found a comment '--' at character 7/, 7],
    ["amount >= 0 --\n) OR (true", /found a comment '--'/, 13],
    ["a /* x */ = 1", /found a comment '\/\*' at character 3/, 3],
    ["a = 1 /* unclosed", /found a comment '\/\*'/, 7],
    // Quoting that another engine reads differently
    ["status <> E'a\\'; b'", /found an escape string E'\.\.\.' at character 11/, 11],
    ["status = e'\\'' OR (true", /escape string/, 10],
    ["status <> $$a;b$$", /found '\$' at character 11: it starts a dollar-quoted string/, 11],
    ["status <> $tag$x$tag$", /dollar-quoted/, 11],
    ["amount = $1", /found '\$'/, 10],
    ["status <> 'x\\' OR b = ' ; DROP TABLE t; --'", /a backslash before a quote inside a string/, 13],
    ["status <> 'never closed", /a string that is never closed at character 11/, 11],
    ['"never closed = 1', /a quoted name that is never closed/, 1],
    // Functions outside the allow-list
    ["pg_sleep(10) IS NULL", /calls pg_sleep\(\), which a rule may not call.*use only abs, age/, 1],
    ["set_config('a', 'b', false) = 'b'", /calls set_config\(\)/, 1],
    ["pg_read_file('/etc/passwd') <> ''", /calls pg_read_file\(\)/, 1],
    ["lo_import('/etc/passwd') > 0", /calls lo_import\(\)/, 1],
    ["dblink('host=x', 'select 1') IS NULL", /calls dblink\(\)/, 1],
    ["load_extension('x') IS NULL", /calls load_extension\(\)/, 1],
    ["length(readfile('/etc/passwd')) > 0", /calls readfile\(\)/, 8],
    ["writefile('/tmp/x', 'y') > 0", /calls writefile\(\)/, 1],
    ["length(randomblob(1000000000)) > 0", /calls randomblob\(\)/, 8],
    ["length(zeroblob(1000000000)) > 0", /calls zeroblob\(\)/, 8],
    ["amount = pg_catalog.pg_sleep(1)", /calls pg_catalog\.pg_sleep\(\)/, 10],
    ["public.lower(x) = 'a'", /calls public\.lower\(\)/, 1],
    // A row rule reads its row: no sub-SELECT, whatever it reads
    ["(SELECT count(*) FROM generate_series(1, 1000000000)) > 0", /a sub-SELECT/, 1],
    ['(SELECT count(*) FROM "/etc/passwd.csv") > 0', /a sub-SELECT/, 1],
    ["(SELECT count(*) FROM pg_catalog.pg_authid) > 0", /a sub-SELECT/, 1],
    ['(SELECT count(*) FROM "Contract") >= 0', /a sub-SELECT/, 1],
    ["EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_id)", /a sub-SELECT/, 1],
    ["status IN (SELECT code FROM statuses)", /a sub-SELECT/, 8],
    ["(SELECT count(*) FROM orders a, orders b) >= 0", /a sub-SELECT/, 1],
    ["(WITH x AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM x) = 0", /a sub-SELECT/, 1],
    ["(SELECT 1 FROM t FOR UPDATE) = 1", /a sub-SELECT/, 1],
    // Regular expressions: constant, and accepted by the regex guard
    ["status ~ '(a)\\1'", /matches with ~ against an unsafe pattern.*backreference/, 8],
    ["status ~ email", /not a constant string/, 8],
    ["status SIMILAR TO code", /SIMILAR TO against a pattern that is not a constant string/, 8],
    ["regexp_replace(status, 'a', 'b') = 'x'", /calls regexp_replace\(\)/, 1],
    ["regexp_like(status, 'a') = true", /calls regexp_like\(\)/, 1],
    // Statements are not expressions
    ["COPY t TO '/tmp/x'", /it does not parse: syntax error at or near "t" at character 6/, 6],
    ["DELETE FROM t", /it does not parse: syntax error at or near "FROM"/, 8],
    ["1=1 UNION SELECT 1", /it does not parse: syntax error at or near "UNION"/, 5],
    // Rows, not aggregates or other tables' columns
    ["count(*) > 0", /the aggregate count\(\) on the row itself/, 1],
    ["sum(amount) OVER () > 0", /the aggregate sum\(\)/, 1],
    ["t.amount > 0", /names the column t\.amount with a prefix/, 1],
    ["t.* IS NOT NULL", /uses \*/, 1],
    // Constructs outside the allow-list
    ["tags[1] = 'x'", /a subscript or field selection/, 1],
    ["payload IS JSON", /a JSON expression/, 1],
    ["xmlparse(document body) IS NULL", /an XML expression/, 1],
    ["amount OPERATOR(public.===) 1", /the operator public\.===/, 8],
    ["amount::myschema.money_t > 0", /casts to myschema\.money_t/, 7],
    ["lower(x => name) = 'a'", /a named function argument/, 7],
    // Syntax errors point into the user's text
    ["amount >= ", /it ends too early/, 10],
    ["amount IN IN (1)", /syntax error at or near "IN" at character 11/, 11],
  ])("%s", (text, message, position) => {
    const r = refusal(checkSqlExpression(text));
    expect(r.message).toMatch(message);
    expect(r.position).toBe(position);
  });

  it.each([[""], ["   "], ["\n\t"]])("refuses empty text %j", (text) => {
    expect(refusal(checkSqlExpression(text)).message).toBe(
      "is empty: it should be a single boolean expression over the row's columns, like amount_cents >= 0",
    );
  });

  it("says what is wrong and what to do", () => {
    expect(refusal(checkSqlExpression("amount_cents >= 0; DROP TABLE orders")).message).toBe(
      "must be a single boolean expression over the row's columns, like amount_cents >= 0; " +
        "found a statement separator ';' at character 18: remove it, a rule is one piece of SQL",
    );
  });

  it("counts positions in characters, not bytes", () => {
    expect(refusal(checkSqlExpression("café = 'é' AND pg_sleep(1) IS NULL")).position).toBe(16);
    expect(refusal(checkSqlExpression("café = 'é' AND AND 1")).position).toBe(16);
  });
});

describe("checkSqlQuery", () => {
  it.each([
    "SELECT count(*) FROM orders WHERE amount_cents < 0",
    "select count(*) from public.orders o where o.customer_id is null",
    "SELECT count(*) FROM (SELECT id FROM orders GROUP BY id HAVING count(*) > 1) dups",
    "SELECT count(*) FROM orders WHERE a < 0 UNION ALL SELECT count(*) FROM orders WHERE b < 0",
    "WITH late AS (SELECT id FROM orders WHERE shipped_at > placed_at + interval '7 days') SELECT count(*) FROM late",
    "SELECT count(*) FROM orders WHERE status IN ('a;b', '--', '/*')",
  ])("accepts %s", (text) => {
    expect(checkSqlQuery(text, { dataset: "public.orders" })).toMatchObject({
      ok: true,
      sql: text,
      columns: [],
    });
  });

  it.each([
    ["SELECT count(*) FROM t;", /found a statement separator ';' at character 23/],
    ["SELECT 1; DELETE FROM orders", /statement separator/],
    ["DELETE FROM orders", /found a DELETE statement/],
    ["UPDATE orders SET x = 1", /found an UPDATE statement/],
    ["INSERT INTO orders VALUES (1)", /found an INSERT statement/],
    ["COPY orders TO '/tmp/x'", /found a COPY statement/],
    ["EXPLAIN ANALYZE DELETE FROM orders", /found an EXPLAIN statement/],
    ["SELECT * FROM orders", /it selects \*: select exactly one, e\.g\. count\(\*\)/],
    ["SELECT a, b FROM orders", /it selects 2 columns/],
    ["SELECT count(*) FROM a UNION SELECT 1, 2 FROM b", /it selects 2 columns/],
    [
      "WITH x AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM x",
      /WITH x AS \(DELETE \.\.\.\), which changes data/,
    ],
    [
      "WITH x AS (SELECT 1), y AS (UPDATE t SET a = 1 RETURNING 1) SELECT count(*) FROM y",
      /WITH y AS \(UPDATE \.\.\.\)/,
    ],
    [
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
      /WITH RECURSIVE/,
    ],
    ["SELECT count(*) FROM orders FOR UPDATE", /locks rows/],
    ["SELECT count(*) INTO copy FROM orders", /SELECT \.\.\. INTO/],
    ["SELECT count(*) FROM orders WHERE pg_sleep(10) IS NULL", /calls pg_sleep\(\)/],
    // Only the contract's dataset, read once
    [
      "SELECT count(*) FROM pg_catalog.pg_authid",
      /reads pg_catalog\.pg_authid, which is not the contract's dataset orders/,
    ],
    ['SELECT count(*) FROM "Contract"', /reads Contract, which is not the contract's dataset/],
    ["SELECT count(*) FROM customers", /not the contract's dataset/],
    ["SELECT count(*) FROM other.orders", /not the contract's dataset/],
    ["SELECT count(*) FROM orders a, orders b", /several tables in one FROM/],
    ["SELECT count(*) FROM orders a JOIN orders b ON true", /a JOIN/],
    ["SELECT count(*) FROM orders WHERE id IN (SELECT id FROM orders)", /a sub-SELECT/],
    ["SELECT count(*) FROM orders WHERE EXISTS (SELECT 1 FROM pg_authid)", /a sub-SELECT/],
    ["SELECT count(*) FROM orders WHERE status ~ '(a)\\1'", /backreference/],
    ["SELECT count(*) FROM generate_series(1, 10)", /a function in FROM/],
    ["SELECT count(*) FROM orders /* hidden */", /comment/],
    ["SELECT count(*) FROM orders WHERE status = 'a;b' -- 'x'", /found a comment '--' at character 50/],
    ["SELECT count(*) FROM orders WHERE note = $$x$$", /dollar-quoted/],
    ["SELECT count(*) FROM", /it does not parse/],
    ["", /is empty/],
  ])("refuses %s", (text, message) => {
    expect(refusal(checkSqlQuery(text, { dataset: "orders" })).message).toMatch(message);
  });
});

describe("refusals say what to write instead, and only what the guard accepts", () => {
  it("a JOIN is explained once, without a generic ending that contradicts the reason", () => {
    const { message } = refusal(
      checkSqlQuery("SELECT count(*) FROM orders a JOIN orders b ON true", { dataset: "orders" }),
    );
    expect(message).toMatch(/a rule reads only its own dataset/);
    expect(message).not.toMatch(/which a rule may not use/);
  });

  it("an aggregate on the row points at a query rule, not at a sub-SELECT (which is refused too)", () => {
    const { message } = refusal(checkSqlExpression("count(*) > 0"));
    expect(message).toMatch(/query rule/);
    expect(message).not.toMatch(/count in a sub-SELECT/);
    const suggested = /query: "([^"]+)"/
      .exec(message)?.[1]
      ?.replace("<dataset>", "orders")
      .replace("…", "amount < 0");
    expect(checkSqlQuery(suggested ?? "", { dataset: "orders" })).toMatchObject({ ok: true });
  });
});
