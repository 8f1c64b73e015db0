import type { Child } from "hono/jsx";

export type Viewer = {
  name: string;
  installation: string;
  scope: "read" | "manage" | "admin";
  csrf: string;
  /** GitHub sign-in: the installations the user may switch to. */
  installations?: { id: string; login: string; current: boolean }[];
};

const NAV = [
  ["/overview", "Overview"],
  ["/repositories", "Repositories"],
  ["/contracts", "Contracts"],
  ["/violations", "Violations"],
  ["/analyses", "Analyses"],
  ["/data", "Data"],
  ["/keys", "Keys"],
] as const;

// Colours meet WCAG AA contrast (4.5:1 and more) on their backgrounds; focus is always visible.
const STYLE = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#4b5563;--line:#d0d7de;--accent:#0b5cad;--bad:#a40e26;--warn:#7a4b00;--ok:#116329;--bg2:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:#fff}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem;z-index:9}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.6rem 1.2rem;border-bottom:1px solid var(--line);background:var(--bg2)}
header .brand{font-weight:700;font-size:1.1rem;color:var(--fg);text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.2rem;list-style:none;margin:0;padding:0}nav a{display:block;padding:.3rem .6rem;border-radius:6px;text-decoration:none}
nav a[aria-current=page]{background:var(--accent);color:#fff}
main{padding:1rem 1.2rem;max-width:1200px}h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}th{background:var(--bg2)}
.num{text-align:right;font-variant-numeric:tabular-nums}
button,.button{font:inherit;padding:.3rem .8rem;border:1px solid #1f6feb;border-radius:6px;background:#0b5cad;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:#0b5cad}button.danger{background:#a40e26;border-color:#a40e26}
input,select,textarea{font:inherit;padding:.3rem .45rem;border:1px solid #6e7781;border-radius:6px;color:var(--fg);background:#fff}textarea{width:100%;font-family:ui-monospace,monospace}
label{font-weight:600}.field{display:flex;flex-direction:column;gap:.2rem;margin:.3rem .6rem .3rem 0}
form.inline{display:inline-flex;flex-wrap:wrap;gap:.4rem;align-items:end;margin:0}.filters{display:flex;flex-wrap:wrap;align-items:end;gap:.2rem;margin-bottom:.6rem}
.notice{padding:.6rem .8rem;border-radius:6px;border:1px solid #116329;background:#dafbe1;margin-bottom:1rem}.error{padding:.6rem .8rem;border-radius:6px;border:1px solid #a40e26;background:#ffebe9;margin-bottom:1rem}
.muted{color:var(--muted)}.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;border:1px solid currentColor;font-size:.85rem}
.s-BLOCK,.s-failure,.s-failed,.s-error,.s-open{color:var(--bad)}.s-ALERT,.s-NOTIFY,.s-neutral,.s-acknowledged,.s-running,.s-queued,.s-warning{color:var(--warn)}.s-success,.s-done,.s-passed,.s-resolved,.s-active{color:var(--ok)}
pre{background:var(--bg2);padding:.6rem;overflow:auto;border-radius:6px}code{font-family:ui-monospace,monospace}
.diff-add{background:#dafbe1}.diff-del{background:#ffebe9}.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{border:1px solid var(--line);border-radius:8px;padding:.6rem 1rem;min-width:10rem}.card strong{font-size:1.4rem;display:block}
.secret{font-size:1.05rem;padding:.6rem;border:2px dashed #7a4b00;background:#fff8c5;word-break:break-all}
.pager{display:flex;gap:1rem;margin:.6rem 0}
`;

export const Layout = ({
  title,
  viewer,
  path,
  notice,
  error,
  refresh,
  children,
}: {
  title: string;
  viewer?: Viewer;
  path?: string;
  notice?: string;
  error?: string;
  /** Seconds after which the browser reloads the page (live status without client scripts). */
  refresh?: number;
  children?: Child;
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {refresh ? <meta http-equiv="refresh" content={String(refresh)} /> : null}
      <title>{`${title} · Covenant`}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href="/">
          Covenant
        </a>
        {viewer ? (
          <nav aria-label="Main">
            <ul>
              {NAV.map(([href, label]) => (
                <li>
                  <a href={href} aria-current={path?.startsWith(href) ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {viewer ? (
          <div style="display:flex;gap:.6rem;align-items:center;flex-wrap:wrap">
            {viewer.installations && viewer.installations.length > 1 ? (
              <form class="inline" method="post" action="/switch">
                <input type="hidden" name="_csrf" value={viewer.csrf} />
                <label for="installation-switch">Installation</label>
                <select id="installation-switch" name="installation">
                  {viewer.installations.map((i) => (
                    <option value={i.id} selected={i.current}>
                      {i.login}
                    </option>
                  ))}
                </select>
                <button type="submit" class="secondary">
                  Switch
                </button>
              </form>
            ) : (
              <span>
                <span class="muted">Installation</span> {viewer.installation}
              </span>
            )}
            <span>
              {viewer.name} <span class="badge">{viewer.scope}</span>
            </span>
            <form class="inline" method="post" action="/logout">
              <input type="hidden" name="_csrf" value={viewer.csrf} />
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          </div>
        ) : null}
      </header>
      <main id="main" tabindex={-1}>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {children}
      </main>
    </body>
  </html>
);

/** A POST form carrying the session's CSRF token. */
export const PostForm = ({
  action,
  csrf,
  children,
  inline = true,
  label,
}: {
  action: string;
  csrf: string;
  children?: Child;
  inline?: boolean;
  label?: string;
}) => (
  <form method="post" action={action} class={inline ? "inline" : undefined} aria-label={label}>
    <input type="hidden" name="_csrf" value={csrf} />
    {children}
  </form>
);

export const Badge = ({ value }: { value: string | null | undefined }) =>
  value ? <span class={`badge s-${value}`}>{value}</span> : <span class="muted">—</span>;

export const When = ({ at }: { at: string | null | undefined }) =>
  at ? <time datetime={at}>{at.replace("T", " ").slice(0, 16)}</time> : <span class="muted">—</span>;

/** Next-page link from an API page (`cursor`), keeping the other query parameters. */
export const Pager = ({
  page,
  base,
  params,
}: {
  page: { total_elements?: number; cursor?: string | null; content: unknown[] };
  base: string;
  params: Record<string, string | undefined>;
}) => {
  const next = new URLSearchParams(
    Object.entries({ ...params, cursor: page.cursor ?? undefined }).filter(
      (e): e is [string, string] => typeof e[1] === "string" && e[1] !== "",
    ),
  );
  return (
    <p class="pager">
      <span class="muted">
        {page.content.length} shown of {page.total_elements ?? page.content.length}
      </span>
      {page.cursor ? <a href={`${base}?${next.toString()}`}>Next page</a> : null}
    </p>
  );
};

/** A table's header row: one column header per name, in order. */
export const TableHead = ({ columns }: { columns: readonly string[] }) => (
  <thead>
    <tr>
      {columns.map((name) => (
        <th scope="col">{name}</th>
      ))}
    </tr>
  </thead>
);

export type ScanSummary = {
  id: string;
  status: string;
  table: string | null;
  created_at: string;
  finished_at?: string | null;
  error?: string | null;
};

const SCAN_COLUMNS = ["Scan", "Status", "Table", "Started"];

/** Scans, each linking to its page; `ended` adds when each finished and why it failed. */
export const ScanTable = ({ scans, ended = false }: { scans: ScanSummary[]; ended?: boolean }) => (
  <table>
    <TableHead columns={ended ? [...SCAN_COLUMNS, "Finished", "Error"] : SCAN_COLUMNS} />
    <tbody>
      {scans.map((s) => (
        <tr>
          <td>
            <a href={`/scans/${s.id}`}>{s.id}</a>
          </td>
          <td>
            <Badge value={s.status} />
          </td>
          <td>{s.table ?? ""}</td>
          <td>
            <When at={s.created_at} />
          </td>
          {ended ? (
            <>
              <td>
                <When at={s.finished_at} />
              </td>
              <td>{s.error ?? ""}</td>
            </>
          ) : null}
        </tr>
      ))}
    </tbody>
  </table>
);

export const Field = ({ id, label, children }: { id: string; label: string; children?: Child }) => (
  <div class="field">
    <label for={id}>{label}</label>
    {children}
  </div>
);

/** A filter's choice: "any" (no filter) or one of `choices`, the current one selected. */
export const ChoiceFilter = ({
  id,
  label,
  name,
  choices,
  value,
}: {
  id: string;
  label: string;
  name: string;
  choices: readonly string[];
  value: string | undefined;
}) => (
  <Field id={id} label={label}>
    <select id={id} name={name}>
      <option value="">any</option>
      {choices.map((c) => (
        <option value={c} selected={c === value}>
          {c}
        </option>
      ))}
    </select>
  </Field>
);
