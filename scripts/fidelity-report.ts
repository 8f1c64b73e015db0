/**
 * `npm run fidelity`: replays every Debian migration history with Covenant and in the real
 * engine, then prints agreement per package × engine and every disagreement.
 *
 * MariaDB is optional here (the report says when it was skipped); the fidelity test is stricter.
 * `--json` prints the raw results instead of the table.
 */
import { replay } from "../src/core/sql/replay.ts";
import { type FidelityResult, formatReport, runFidelity } from "../test/fidelity/compare.ts";
import { alterSuite, loadCorpus } from "../test/fidelity/corpus.ts";
import { closePostgresOracle, mysqlReachable, runOracle } from "../test/fidelity/oracles.ts";

const main = async (argv: string[], print: (s: string) => void): Promise<void> => {
  const corpus = [...loadCorpus(), ...alterSuite()];
  const mysqlDown = await mysqlReachable();
  const results: FidelityResult[] = [];
  for (const history of corpus) {
    if (history.engine === "mysql" && mysqlDown) continue;
    results.push(await runFidelity(history, replay, runOracle));
  }
  await closePostgresOracle();
  if (argv.includes("--json")) {
    print(JSON.stringify(results, null, 2));
    return;
  }
  print(formatReport(results));
  if (mysqlDown) print(`\nMySQL histories skipped: MariaDB is unreachable (${mysqlDown}).`);
};

await main(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`));
