type Day = {
  date: string;
  analysed: number;
  blocked: number;
  passed_with_violations: number;
  waived: number;
};

type Series = { label: string; color: string; value: (d: Day) => number; mark: "bar" | "dot" };

/**
 * What the chart draws, its legend says and its table lists, in one place: PRs per day as stacked
 * bars (blocked, passed with violations, passed clean) and the PRs with a waiver as dots.
 */
const SERIES: Series[] = [
  { label: "blocked", color: "#a40e26", value: (d) => d.blocked, mark: "bar" },
  {
    label: "passed with violations",
    color: "#9a6700",
    value: (d) => d.passed_with_violations,
    mark: "bar",
  },
  {
    label: "passed clean",
    color: "#1a7f37",
    value: (d) => Math.max(0, d.analysed - d.blocked - d.passed_with_violations),
    mark: "bar",
  },
  { label: "waived", color: "#0b5cad", value: (d) => d.waived, mark: "dot" },
];
const BARS = SERIES.filter((s) => s.mark === "bar");

const sum = (days: Day[], value: (d: Day) => number) => days.reduce((n, d) => n + value(d), 0);

const summaryOf = (days: Day[]) =>
  `${sum(days, (d) => d.analysed)} pull requests analysed in ${days.length} days: ${SERIES.filter(
    (s) => s.label !== "passed clean",
  )
    .map((s) => `${sum(days, s.value)} ${s.label === "waived" ? "with a waiver" : s.label}`)
    .join(", ")}.`;

/** Pull requests per day (see SERIES); the figure's caption is the legend and the totals in words. */
export const ActivityChart = ({ days }: { days: Day[] }) => {
  const width = 760;
  const height = 200;
  const left = 36;
  const bottom = 24;
  const max = Math.max(1, ...days.map((d) => Math.max(d.analysed, d.waived)));
  const slot = (width - left) / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const y = (n: number) => ((height - bottom) * n) / max;
  const summary = summaryOf(days);
  return (
    <figure style="margin:0">
      <svg
        role="img"
        aria-labelledby="chart-title"
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style="max-width:760px;height:auto"
      >
        <title id="chart-title">{summary}</title>
        <line x1={left} y1={height - bottom} x2={width} y2={height - bottom} stroke="#57606a" />
        <text x={left - 6} y={12} text-anchor="end" font-size="11" fill="#4b5563">
          {max}
        </text>
        <text x={left - 6} y={height - bottom} text-anchor="end" font-size="11" fill="#4b5563">
          0
        </text>
        {days.map((d, i) => {
          const x = left + i * slot + (slot - bar) / 2;
          let top = height - bottom;
          return (
            <g>
              {BARS.map((s) => {
                const n = s.value(d);
                top -= y(n);
                return n > 0 ? <rect x={x} y={top} width={bar} height={y(n)} fill={s.color} /> : null;
              })}
              {SERIES.filter((s) => s.mark === "dot" && s.value(d) > 0).map((s) => (
                <circle cx={x + bar / 2} cy={height - bottom - y(s.value(d))} r={3.5} fill={s.color} />
              ))}
              {i % Math.ceil(days.length / 8) === 0 ? (
                <text x={x} y={height - 6} font-size="11" fill="#4b5563">
                  {d.date.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {SERIES.map((s) => (
          <>
            <span style={`color:${s.color}`}>{s.mark === "bar" ? "■" : "●"}</span> {s.label}{" "}
          </>
        ))}
        <br />
        {summary}
      </figcaption>
    </figure>
  );
};

/** The chart's figures as a table, for days with activity. */
export const ActivityTable = ({ days }: { days: Day[] }) => (
  <table>
    <caption class="muted">Per day</caption>
    <thead>
      <tr>
        <th scope="col">Day</th>
        <th scope="col" class="num">
          analysed
        </th>
        {SERIES.map((s) => (
          <th scope="col" class="num">
            {s.label}
          </th>
        ))}
      </tr>
    </thead>
    <tbody>
      {days
        .filter((d) => d.analysed + d.waived > 0)
        .map((d) => (
          <tr>
            <td>{d.date}</td>
            <td class="num">{d.analysed}</td>
            {SERIES.map((s) => (
              <td class="num">{s.value(d)}</td>
            ))}
          </tr>
        ))}
    </tbody>
  </table>
);
