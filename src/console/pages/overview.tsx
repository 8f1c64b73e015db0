import { ActivityChart } from "../chart.tsx";
import { Layout } from "../layout.tsx";
import { apiError, type PageContext, param } from "../page-context.ts";

export const overviewPage = async (ctx: PageContext) => {
  const days = Number(param(ctx, "days") ?? 30);
  const res = await ctx.call(
    "GET",
    `/overview?days=${Number.isInteger(days) && days > 0 && days <= 365 ? days : 30}`,
  );
  if (!res.ok)
    return <Layout title="Overview" viewer={ctx.viewer} path="/overview" error={apiError(res.body)} />;
  const o = res.body;
  return (
    <Layout title="Overview" viewer={ctx.viewer} path="/overview">
      <h1>Overview of {ctx.viewer.installation}</h1>
      <div class="cards">
        <div class="card">
          <strong>{o.totals.contracts}</strong> contracts
        </div>
        <div class="card">
          <strong>{o.totals.open_violations}</strong> open violations
        </div>
        <div class="card">
          <strong>{o.totals.repositories}</strong> repositories
        </div>
      </div>
      <h2>Pull requests, last {o.days.length} days</h2>
      <form class="filters" method="get" action="/overview">
        <div class="field">
          <label for="days">Days</label>
          <select id="days" name="days">
            {[7, 30, 90, 365].map((d) => (
              <option value={String(d)} selected={d === o.days.length}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
      <ActivityChart days={o.days} />
      <details>
        <summary>The chart's figures</summary>
        <table>
          <caption class="muted">Per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" class="num">
                Analysed
              </th>
              <th scope="col" class="num">
                Blocked
              </th>
              <th scope="col" class="num">
                Passed with violations
              </th>
              <th scope="col" class="num">
                Waived
              </th>
            </tr>
          </thead>
          <tbody>
            {o.days
              .filter((d: { analysed: number; waived: number }) => d.analysed + d.waived > 0)
              .map((d: Record<string, number | string>) => (
                <tr>
                  <td>{d.date}</td>
                  <td class="num">{d.analysed}</td>
                  <td class="num">{d.blocked}</td>
                  <td class="num">{d.passed_with_violations}</td>
                  <td class="num">{d.waived}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
      <div class="cards" style="align-items:flex-start">
        <section style="flex:1;min-width:18rem">
          <h2>Most broken contracts</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Contract</th>
                <th scope="col" class="num">
                  Violations
                </th>
              </tr>
            </thead>
            <tbody>
              {o.top_contracts.map(
                (c: { contract_id: string | null; contract_name: string; violations: number }) => (
                  <tr>
                    <td>
                      {c.contract_id ? (
                        <a href={`/contracts/${c.contract_id}`}>{c.contract_name}</a>
                      ) : (
                        c.contract_name
                      )}
                    </td>
                    <td class="num">
                      <a href={`/violations?contract=${c.contract_id ?? ""}`}>{c.violations}</a>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
          {o.top_contracts.length === 0 ? <p class="muted">No violations in this window.</p> : null}
        </section>
        <section style="flex:1;min-width:18rem">
          <h2>Repositories with most violations</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col" class="num">
                  Violations
                </th>
              </tr>
            </thead>
            <tbody>
              {o.top_repositories.map((r: { repo: string; violations: number }) => (
                <tr>
                  <td>
                    <a href={`/repositories/${r.repo}`}>{r.repo}</a>
                  </td>
                  <td class="num">
                    <a href={`/violations?repo=${encodeURIComponent(r.repo)}`}>{r.violations}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {o.top_repositories.length === 0 ? (
            <p class="muted">No pull request violations in this window.</p>
          ) : null}
        </section>
      </div>
    </Layout>
  );
};
