import picomatch from "picomatch";
import { createPathFilter, normalizePath } from "./config/path-filter.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "./config/repo-config.ts";
import { type DbtProject, dbtProjectFiles, discoverDbtProjects } from "./dbt/discover-dbt-projects.ts";
import { readDbtModels } from "./dbt/read-dbt-models.ts";
import { diffSchemas, type SchemaEvent } from "./diff/diff-schemas.ts";
import { type EnforcementPolicy, judge, type Waiver } from "./enforce/judge.ts";
import { skippedContractFindings } from "./enforce/skipped-contracts.ts";
import type { UnreadableFile } from "./files/repository-files.ts";
import { scopeUnreadable } from "./files/unreadable-scope.ts";
import { buildLineage, type Lineage } from "./lineage/build-lineage.ts";
import { type DbtNode, diffSeedHeaders, seedColumns, unreadableSeedHeaders } from "./lineage/dbt-graph.ts";
import {
  dbtContractFindings,
  downstreamColumnMissing,
  impactOf,
  type LineageContext,
  removedColumns,
  TRACED_KINDS,
  traceChanges,
} from "./lineage/judge-lineage.ts";
import { readRepositoryDbtGraph } from "./lineage/repository-lineage.ts";
import {
  discoverMigrations,
  type MigrationSet,
  resolveMigrationSets,
} from "./migrations/discover-migrations.ts";
import { extractMigrationUp } from "./migrations/extract-migration-up.ts";
import { findRewrittenHistory } from "./migrations/rewritten-history.ts";
import { type Contract, contractOwners, parseRepositoryContract } from "./model/contract.ts";
import type { Dialect, EnforcementLevel } from "./model/contract-levels.ts";
import type { Finding } from "./model/finding.ts";
import { emptySchemaState, type SchemaState, type TableSchema } from "./model/schema.ts";
import type { Verdict } from "./model/violation.ts";
import { bindContracts, type ContractSource, skippedContracts } from "./rules/bind-contracts.ts";
import {
  describeChange as describeLineageChange,
  JUDGED,
  reachText,
  severityOf,
} from "./rules/downstream-contract-broken.ts";
import type { InvalidContract, UnparsedModel, UnverifiedStatement } from "./rules/rule.ts";
import { runRules } from "./rules/run-rules.ts";
import { touchedBindings } from "./rules/unverified.ts";
import { loadPostgresParser } from "./sql/postgres.ts";
import { cloneSchemaState, deserializeSchemaState, replay, serializeSchemaState } from "./sql/replay.ts";

/**
 * The one analysis the CLI, the App and the API share, in two pure phases so each adapter does
 * its own I/O: `planAnalysis` says which files to read at each revision, `analyze` judges them.
 *
 * Trust boundary: contracts, the repository configuration and the enforcement policy come from
 * the BASE. A PR can neither loosen its own policy nor weaken the contract it breaks; contract
 * files it adds or edits must additionally hold once merged.
 */

export const REPO_CONFIG_PATH = ".github/covenant.yml";

/** The base configuration from its text (absent file = defaults). Throws `invalid_input` with file:line:column. */
export const loadRepoConfig = (text: string | undefined): RepoConfig =>
  text === undefined ? DEFAULT_REPO_CONFIG : parseRepoConfig(text, REPO_CONFIG_PATH);

type SerializedState = ReturnType<typeof serializeSchemaState>;

/**
 * The snapshot format. Raise it whenever what a snapshot holds changes (e.g. a new field on
 * datasets): a cached snapshot of another version is replayed again instead of misread.
 */
export const SNAPSHOT_VERSION = 8;

/** The base replay, JSON-serializable, cacheable by the base commit SHA. */
export type BaseSnapshot = {
  version: typeof SNAPSHOT_VERSION;
  sets: Array<{ root: string; tool: string; dialect: Dialect; files: string[]; state: SerializedState }>;
  findings: Finding[];
  /** dbt models of the base (plain data). */
  dbt?: TableSchema[];
  /** The dbt graph of the base (models with their SQL, sources, seeds, snapshots, exposures), for lineage. */
  dbtGraph?: DbtNode[];
};

export type PlanInput = {
  basePaths: readonly string[];
  headPaths: readonly string[];
  changedPaths: readonly string[];
  config?: RepoConfig;
  /** True when a base snapshot is at hand: base migrations need not be read. */
  haveBaseSnapshot?: boolean;
  /**
   * The text of the dbt_project.yml files `dbtProjectFiles` lists: every one at the base, and at
   * the head those the change edits (the others are the base's). Their folder settings decide
   * which files of a project are read; without them every file a dbt folder could hold is planned.
   */
  dbtProjectTexts?: { base: ReadonlyMap<string, string>; head?: ReadonlyMap<string, string> };
};

export type AnalysisPlan = { base: string[]; head: string[] };

const contractMatcher = (config: RepoConfig): ((path: string) => boolean) => {
  const glob = picomatch(config.contracts, { dot: true });
  const keep = createPathFilter(config);
  return (path) => keep(path) && glob(normalizePath(path));
};

type SetPlan = {
  base?: MigrationSet;
  head: MigrationSet;
  /** Files of the head set to replay; on top of the base state when `appendOnly`. */
  replay: string[];
  appendOnly: boolean;
};

/**
 * Per migration history: when the PR only adds files after the base's last one, replaying them
 * on top of the base state is enough (and their events give renames and locations); when it
 * edits, deletes or reorders earlier files, the whole head history is replayed.
 */
const planSets = (base: MigrationSet[], head: MigrationSet[], changed: ReadonlySet<string>): SetPlan[] =>
  head.map((headSet) => {
    const baseSet = base.find((set) => set.root === headSet.root);
    if (!baseSet) return { head: headSet, replay: headSet.files, appendOnly: false };
    const prefix = baseSet.files.every((file, i) => headSet.files[i] === file);
    const touchedOld = baseSet.files.some((file) => changed.has(file));
    const appendOnly = prefix && !touchedOld && baseSet.dialect === headSet.dialect;
    return {
      base: baseSet,
      head: headSet,
      replay: appendOnly ? headSet.files.slice(baseSet.files.length) : headSet.files,
      appendOnly,
    };
  });

const needsOf = (sets: MigrationSet[]): string[] => sets.flatMap((set) => set.needs ?? []);

export const planAnalysis = ({
  basePaths,
  headPaths,
  changedPaths,
  config = DEFAULT_REPO_CONFIG,
  haveBaseSnapshot = false,
  dbtProjectTexts,
}: PlanInput): AnalysisPlan => {
  const changed = new Set(changedPaths.map(normalizePath));
  const isContract = contractMatcher(config);
  const baseSets = discoverMigrations([...basePaths], config);
  const headSets = discoverMigrations([...headPaths], config);
  const base = new Set<string>([...basePaths.filter((p) => normalizePath(p) === REPO_CONFIG_PATH)]);
  for (const path of basePaths) if (isContract(path)) base.add(path);
  for (const path of needsOf(baseSets)) base.add(path);
  const head = new Set<string>(needsOf(headSets));
  for (const path of headPaths) if (isContract(path) && changed.has(normalizePath(path))) head.add(path);
  if (!haveBaseSnapshot) for (const set of baseSets) for (const file of set.files) base.add(file);
  // Which files a set replays depends on its resolved order; the paths are known before that,
  // so read every file that could be needed: new files always, all files when history changed.
  for (const plan of planSets(baseSets, headSets, changed)) for (const file of plan.replay) head.add(file);
  // Small, and what says which files a project has: read at the base even with a snapshot.
  for (const path of dbtProjectFiles(basePaths, config)) base.add(path);
  const baseProjects = discoverDbtProjects(basePaths, config, dbtProjectTexts?.base);
  if (!haveBaseSnapshot) for (const project of baseProjects) for (const f of project.files) base.add(f);
  const headProjects = discoverDbtProjects(
    headPaths,
    config,
    dbtProjectTexts && headProjectTexts(changed, dbtProjectTexts.head ?? new Map(), dbtProjectTexts.base),
  );
  if (dbtTouched([...baseProjects, ...headProjects], changed))
    for (const project of headProjects) for (const f of project.files) head.add(f);
  return { base: [...base], head: [...head] };
};

const unusableProjectReason = (problems: readonly Finding[]): string =>
  `its folder settings cannot be used (${problems.map((p) => `line ${p.line}: ${p.message}`).join("; ")}), so which files are models is not known`;

/** A head's dbt_project.yml: its own text where the change edits it, else the base's. */
const headProjectTexts =
  (changed: ReadonlySet<string>, head: ReadonlyMap<string, string>, base: ReadonlyMap<string, string>) =>
  (path: string): string | undefined =>
    head.get(path) ?? (changed.has(path) ? undefined : base.get(path));

/**
 * Whether the PR changes a file of a dbt project as the base or the head sees it: a model deleted
 * or moved out (and a deleted dbt_project.yml) exists only at the base, one moved in only at the head.
 */
const dbtTouched = (projects: DbtProject[], changed: ReadonlySet<string>): boolean =>
  projects.some((project) => project.files.some((file) => changed.has(file)));

/** dbt models of every project; a model's columns come from schema.yml and its final SELECT. */
const readDbt = (projects: DbtProject[], contents: ReadonlyMap<string, string>) => {
  const datasets: TableSchema[] = [];
  const findings: Finding[] = [];
  for (const project of projects) {
    const files = new Map(
      project.files.flatMap((f) => (contents.has(f) ? [[f, contents.get(f)!] as const] : [])),
    );
    const result = readDbtModels({ project, files });
    datasets.push(...result.datasets);
    findings.push(...result.findings);
  }
  return { datasets, findings };
};

const addDbt = (target: Replayed, datasets: readonly TableSchema[]): void => {
  for (const dataset of datasets) target.state.datasets.set(dataset.name, dataset);
};

export type RegisteredContract = { contract: Contract; file?: string };

export type AnalyzeInput = {
  basePaths: readonly string[];
  headPaths: readonly string[];
  changedPaths: readonly string[];
  /** Contents of the plan's base files (at least). */
  base: ReadonlyMap<string, string>;
  /** Contents of the plan's head files (at least). */
  head: ReadonlyMap<string, string>;
  /** Base configuration; read from the base's `.github/covenant.yml` when omitted. */
  config?: RepoConfig;
  /** Platform policy set through the API; wins over the configuration's `enforcement`. */
  policy?: EnforcementPolicy;
  waivers?: readonly Waiver[];
  /** Contracts registered through the API rather than kept in the repository. */
  registeredContracts?: readonly RegisteredContract[];
  baseSnapshot?: BaseSnapshot;
  /**
   * dbt vars given on the command line (`--vars`, as `dbt run --vars`): over each project's own
   * for the lineage's Jinja. The App has none: its snapshots are the projects' own vars.
   */
  dbtVars?: Readonly<Record<string, unknown>>;
  /**
   * Files of the plan the adapter could not read (binary, too large, a submodule, a link leaving
   * the repository). Never judged as absent: the contracts they may touch fail closed.
   */
  unreadable?: readonly UnreadableFile[];
  /** What reading noticed about files it did read (e.g. decoded from UTF-16); kept for changed files. */
  readFindings?: readonly Finding[];
};

export type AnalysisResult = {
  verdict: Verdict;
  baseSnapshot: BaseSnapshot;
  /** The head replay, usable as the base snapshot of PRs opened on top of this head once merged. */
  headSnapshot: BaseSnapshot;
};

type Replayed = {
  state: SchemaState;
  dialects: Map<string, Dialect>;
  events: SchemaEvent[];
  findings: Finding[];
  /** What the PR's own migration statements do that could not be verified. */
  unverified: UnverifiedStatement[];
  snapshot: BaseSnapshot;
};

const readFiles = (paths: readonly string[], contents: ReadonlyMap<string, string>, set: MigrationSet) =>
  paths.flatMap((path) => {
    const content = contents.get(path);
    return content === undefined ? [] : [{ path, content: extractMigrationUp(content, set.tool) }];
  });

const mergeInto = (target: Replayed, state: SchemaState, dialect: Dialect): void => {
  for (const [name, dataset] of state.datasets) {
    target.state.datasets.set(name, dataset);
    target.dialects.set(name, dialect);
  }
  for (const [name, value] of state.enums) target.state.enums.set(name, value);
};

const emptyReplayed = (): Replayed => ({
  state: emptySchemaState(),
  dialects: new Map(),
  events: [],
  findings: [],
  unverified: [],
  snapshot: { version: SNAPSHOT_VERSION, sets: [], findings: [] },
});

const replayBase = async (sets: MigrationSet[], contents: ReadonlyMap<string, string>): Promise<Replayed> => {
  const result = emptyReplayed();
  for (const set of sets) {
    const replayed = await replay({ files: readFiles(set.files, contents, set), dialect: set.dialect });
    mergeInto(result, replayed.state, set.dialect);
    result.findings.push(...replayed.findings, ...(set.findings ?? []));
    result.snapshot.sets.push({
      root: set.root,
      tool: set.tool,
      dialect: set.dialect,
      files: set.files,
      state: serializeSchemaState(replayed.state),
    });
  }
  result.snapshot.findings = result.findings;
  return result;
};

const fromSnapshot = (snapshot: BaseSnapshot): Replayed => {
  const result = emptyReplayed();
  for (const set of snapshot.sets) mergeInto(result, deserializeSchemaState(set.state), set.dialect);
  result.findings = snapshot.findings;
  result.snapshot = snapshot;
  return result;
};

const replayHead = async (
  plans: SetPlan[],
  base: BaseSnapshot,
  contents: ReadonlyMap<string, string>,
  changed: ReadonlySet<string>,
): Promise<Replayed> => {
  const result = emptyReplayed();
  for (const plan of plans) {
    const baseSet = plan.appendOnly ? base.sets.find((set) => set.root === plan.head.root) : undefined;
    const initial = baseSet ? cloneSchemaState(deserializeSchemaState(baseSet.state)) : undefined;
    const replayed = await replay({
      files: readFiles(plan.replay, contents, plan.head),
      dialect: plan.head.dialect,
      ...(initial ? { initial } : {}),
    });
    mergeInto(result, replayed.state, plan.head.dialect);
    // Only the PR's own statements explain its changes; events of untouched history would
    // replay renames that the base already contains.
    result.events.push(
      ...(replayed.events as SchemaEvent[]).filter((event) => changed.has(event.location.file)),
    );
    result.findings.push(...replayed.findings, ...(plan.head.findings ?? []));
    const history = new Set([
      ...replayed.state.datasets.keys(),
      ...(base.sets.find((set) => set.root === plan.head.root)?.state.datasets.map((d) => d.name) ?? []),
    ]);
    for (const item of replayed.unverified)
      if (changed.has(item.finding.file))
        result.unverified.push({ ...item, dialect: plan.head.dialect, history });
    result.snapshot.sets.push({
      root: plan.head.root,
      tool: plan.head.tool,
      dialect: plan.head.dialect,
      files: plan.head.files,
      state: serializeSchemaState(replayed.state),
    });
  }
  result.snapshot.findings = result.findings;
  return result;
};

type LoadedContracts = {
  sources: ContractSource[];
  invalid: InvalidContract[];
  findings: Finding[];
};

const loadContracts = (
  input: AnalyzeInput,
  config: RepoConfig,
  changed: ReadonlySet<string>,
): LoadedContracts => {
  const isContract = contractMatcher(config);
  const sources: ContractSource[] = [];
  const invalid: InvalidContract[] = [];
  const findings: Finding[] = [];
  const baseByFile = new Map<string, Contract>();
  const unreadable = new Map((input.unreadable ?? []).map((file) => [file.path, file.reason]));
  for (const path of input.basePaths.filter(isContract)) {
    const text = input.base.get(path);
    if (text === undefined) {
      if (unreadable.has(path) && !changed.has(path))
        findings.push({
          rule: "file-unreadable",
          severity: "warning",
          file: path,
          line: 1,
          message: `The contract file ${path} on the base branch could not be read and is not enforced: ${unreadable.get(path)}.`,
          help: "Keep contract files as UTF-8 text in the repository itself.",
        });
      continue;
    }
    const parsed = parseRepositoryContract(text, path);
    if (parsed.ok) {
      baseByFile.set(path, parsed.contract);
      sources.push({
        contract: parsed.contract,
        file: path,
        origin: "base",
        // Lines of the base file mean nothing in a head file the PR edits.
        ...(changed.has(path) ? {} : { lines: parsed.lines }),
      });
    } else if (!changed.has(path)) {
      // Not this PR's doing: say so, but do not fail it.
      const first = parsed.errors[0];
      findings.push({
        rule: "contract-invalid",
        severity: "warning",
        file: path,
        line: first?.line ?? 1,
        message: `The contract in ${path} does not validate on the base branch and is not enforced: ${first?.message ?? "invalid"}`,
        help: "Fix the contract file on the default branch.",
      });
    }
  }
  for (const registered of input.registeredContracts ?? []) {
    sources.push({
      contract: registered.contract,
      ...(registered.file ? { file: registered.file } : {}),
      origin: "base",
    });
  }
  const baseByName = new Map([...baseByFile.values()].map((c) => [c.name, c]));
  for (const path of input.headPaths.filter((p) => isContract(p) && changed.has(normalizePath(p)))) {
    const text = input.head.get(path);
    const before = baseByFile.get(path);
    if (text === undefined) {
      const reason = unreadable.get(path);
      if (reason)
        invalid.push({
          file: path,
          ...(before ? { name: before.name } : {}),
          enforcement: before?.enforcement ?? ("BLOCK" satisfies EnforcementLevel),
          owners: before ? contractOwners(before) : [],
          issues: [
            { file: path, line: 1, column: 1, path: "", message: `the file cannot be read: ${reason}` },
          ],
        });
      continue;
    }
    const parsed = parseRepositoryContract(text, path);
    if (!parsed.ok) {
      invalid.push({
        file: path,
        ...(before ? { name: before.name } : {}),
        enforcement: before?.enforcement ?? ("BLOCK" satisfies EnforcementLevel),
        owners: before ? contractOwners(before) : [],
        issues: parsed.errors,
      });
      continue;
    }
    const baseContract = before ?? baseByName.get(parsed.contract.name);
    sources.push({
      contract: parsed.contract,
      file: path,
      origin: "head",
      lines: parsed.lines,
      ...(baseContract ? { baseContract } : {}),
    });
  }
  // A contract file the PR deletes (or moves where contracts are not read), with no head file
  // of the same name taking over: the contract stops protecting its dataset once merged.
  const headPaths = new Set(input.headPaths.map(normalizePath));
  const headNames = new Set([
    ...sources.flatMap((source) => (source.origin === "head" ? [source.contract.name] : [])),
    ...invalid.flatMap((contract) => (contract.name ? [contract.name] : [])),
  ]);
  for (const source of sources)
    if (
      source.origin === "base" &&
      source.file !== undefined &&
      baseByFile.has(source.file) &&
      !(headPaths.has(normalizePath(source.file)) && isContract(source.file)) &&
      !headNames.has(source.contract.name)
    )
      source.removedByPr = true;
  return { sources, invalid, findings };
};

export const analyze = async (input: AnalyzeInput): Promise<AnalysisResult> => {
  const config = input.config ?? loadRepoConfig(input.base.get(REPO_CONFIG_PATH));
  const changed = new Set(input.changedPaths.map(normalizePath));
  const baseSets = resolveMigrationSets(discoverMigrations([...input.basePaths], config), input.base);
  const headSets = resolveMigrationSets(discoverMigrations([...input.headPaths], config), input.head);

  const base = input.baseSnapshot ? fromSnapshot(input.baseSnapshot) : await replayBase(baseSets, input.base);
  const plans = planSets(baseSets, headSets, changed);
  const head = await replayHead(plans, base.snapshot, input.head, changed);

  const baseProjects = discoverDbtProjects(input.basePaths, config, input.base);
  if (!input.baseSnapshot) {
    const dbt = readDbt(baseProjects, input.base);
    base.snapshot.dbt = dbt.datasets;
    base.snapshot.dbtGraph = await withOutputColumns(
      readRepositoryDbtGraph(baseProjects, input.base, config, input.dbtVars).nodes,
      base.state,
      (dataset) => base.dialects.get(dataset) ?? "postgres",
    );
    base.findings.push(...dbt.findings);
  }
  addDbt(base, base.snapshot.dbt ?? []);
  const headProjects = discoverDbtProjects(
    input.headPaths,
    config,
    headProjectTexts(changed, input.head, input.base),
  );
  if (dbtTouched([...baseProjects, ...headProjects], changed)) {
    const dbt = readDbt(headProjects, input.head);
    addDbt(head, dbt.datasets);
    head.snapshot.dbt = dbt.datasets;
    head.snapshot.dbtGraph = readRepositoryDbtGraph(headProjects, input.head, config, input.dbtVars).nodes;
    head.findings.push(...dbt.findings);
  } else {
    addDbt(head, base.snapshot.dbt ?? []);
    head.snapshot.dbt = base.snapshot.dbt ?? [];
    head.snapshot.dbtGraph = base.snapshot.dbtGraph ?? [];
  }

  const changes = diffSchemas({ base: base.state, head: head.state, events: head.events });
  const contracts = loadContracts(input, config, changed);
  const dialects = new Map([...base.dialects, ...head.dialects]);
  const bindInput = {
    contracts: contracts.sources,
    base: base.state,
    head: head.state,
    changes,
    dialectOf: (dataset: string) =>
      head.state.datasets.get(dataset)?.kind === "dbt_model"
        ? ("dbt" as const)
        : (dialects.get(dataset) ?? "postgres"),
  };
  const bindings = bindContracts(bindInput);
  const policy = input.policy || config.enforcement ? { ...config.enforcement, ...input.policy } : undefined;

  // What may touch a contract is reported as a violation of it (fail closed), not also as a
  // finding; contracts switched off (INACTIVE) drop their violations, so they keep the finding.
  const enforced = bindings.filter((binding) => binding.enforcement !== "INACTIVE");
  const escalated = new Set(
    head.unverified.filter((item) => touchedBindings(item, enforced).length > 0).map((item) => item.finding),
  );
  const rewritten = findRewrittenHistory({
    baseSets,
    headSets,
    changed,
    baseContents: input.base,
    headContents: input.head,
    baseState: base.state,
  });
  for (const item of rewritten)
    if (touchedBindings({ ...item, kind: "dynamic", history: new Set() }, enforced).length > 0)
      escalated.add(item.finding);
  const unparsedModels = unparsedDbtModels(head.findings, head.snapshot.dbtGraph ?? [], changed);
  for (const item of unparsedModels)
    if (
      enforced.some(
        (b) =>
          b.contract.dataset.type === "dbt_model" &&
          [b.headDataset?.name, b.baseDataset?.name, b.contract.dataset.name].some(
            (n) => n !== undefined && item.downstream.has(n),
          ),
      )
    )
      escalated.add(item.finding);
  const isContract = contractMatcher(config);
  // A dbt_project.yml whose folders cannot be used leaves the project's models unverified, as
  // an unreadable file does: which files are models is not known.
  const unusableProjects = headProjects.flatMap((project) =>
    project.projectFile && project.problems
      ? [{ path: project.projectFile, reason: unusableProjectReason(project.problems) }]
      : [],
  );
  const unreadableFiles = [
    ...(input.unreadable ?? []).filter((file) => !isContract(file.path)),
    ...unreadableSeedHeaders(base.snapshot.dbtGraph ?? [], head.snapshot.dbtGraph ?? [], changed),
    ...unusableProjects,
  ];
  // Discovering the base's dbt projects again costs a pass over every path: only when needed.
  const unreadable = scopeUnreadable({
    unreadable: unreadableFiles,
    changed,
    migrationSets: [...baseSets, ...headSets],
    dbtProjects:
      unreadableFiles.length === 0
        ? []
        : [...discoverDbtProjects(input.basePaths, config, input.base), ...headProjects],
  });
  const findings: Finding[] = [
    ...head.findings.filter((finding) => changed.has(finding.file) && !escalated.has(finding)),
    ...contracts.findings,
    ...(input.readFindings ?? []).filter((finding) => changed.has(finding.file)),
    ...rewritten.map((item) => item.finding).filter((finding) => !escalated.has(finding)),
    ...unreadable.findings,
    ...skippedContractFindings({
      skipped: skippedContracts(bindInput),
      bindings,
      ...(policy ? { policy } : {}),
    }),
  ];
  for (const binding of bindings) {
    if (binding.origin === "head" && !binding.baseDataset && !binding.headDataset) {
      findings.push({
        rule: "contract-dataset-unknown",
        severity: "info",
        file: binding.file ?? "",
        line: 1,
        message: `Contract "${binding.contract.name}" describes ${binding.contract.dataset.name}, which no migration or dbt model in this repository defines; its schema was not checked.`,
        help: "Check dataset.name (and dataset.type), or ignore this if the dataset lives in another repository.",
      });
    }
  }

  const lineage = await lineageOfChanges({
    // A seed's header is not in the schema state: its changes flow downstream like a dataset's.
    changes: [...changes, ...diffSeedHeaders(base.snapshot.dbtGraph ?? [], head.snapshot.dbtGraph ?? [])],
    base: base.state,
    head: head.state,
    dbt: head.snapshot.dbtGraph ?? [],
    baseDbt: base.snapshot.dbtGraph ?? [],
    dialectOf: (dataset) => dialects.get(dataset) ?? "postgres",
  });
  if (lineage) {
    findings.push(...downstreamColumnMissing(lineage.lineage, lineage.traces));
    const contracted = new Set(
      bindings.flatMap((b) => [b.baseDataset?.name, b.headDataset?.name]).filter((n): n is string => !!n),
    );
    findings.push(
      ...dbtContractFindings(lineage, (node) => contracted.has(node), {
        severityOf,
        reachText,
        describeChange: describeLineageChange,
        judged: JUDGED,
      }),
    );
    findings.push(...lineage.lineage.findings.filter((finding) => changed.has(finding.file)));
  }
  const violations = runRules({
    bindings,
    invalidContracts: contracts.invalid,
    unverified: head.unverified,
    rewritten,
    unreadable: unreadable.inScope,
    unparsedModels,
    ...(lineage ? { lineage } : {}),
  });
  const verdict = judge({
    violations,
    findings,
    changes,
    ...(policy ? { policy } : {}),
    ...(input.waivers ? { waivers: input.waivers } : {}),
  });
  if (lineage) {
    const ownersOf = (node: string) =>
      bindings.filter((b) => (b.baseDataset?.name ?? b.headDataset?.name) === node).flatMap((b) => b.owners);
    const impact = impactOf(lineage.lineage, lineage.traces, ownersOf);
    if (impact.length > 0) verdict.impact = impact;
  }
  return { verdict, baseSnapshot: base.snapshot, headSnapshot: head.snapshot };
};

/**
 * dbt models (and snapshots) of a changed file whose SQL no longer parses or renders
 * (`dbt-parse-error`), each with every model downstream of it: a contract on one of those is
 * unverified, as a migration statement that does not parse is (fail closed).
 */
const unparsedDbtModels = (
  findings: readonly Finding[],
  graph: readonly DbtNode[],
  changed: ReadonlySet<string>,
): UnparsedModel[] => {
  const broken = findings.filter((f) => f.rule === "dbt-parse-error" && changed.has(f.file));
  if (broken.length === 0) return [];
  const readers = new Map<string, string[]>();
  for (const node of graph)
    for (const up of node.upstream) readers.set(up, [...(readers.get(up) ?? []), node.id]);
  const byId = new Map(graph.map((node) => [node.id, node]));
  const result: UnparsedModel[] = [];
  for (const finding of broken) {
    const node = graph.find((n) => (n.kind === "model" || n.kind === "snapshot") && n.file === finding.file);
    if (!node) continue;
    const seen = new Set([node.id]);
    const queue = [node.id];
    while (queue.length > 0)
      for (const reader of readers.get(queue.shift()!) ?? [])
        if (!seen.has(reader)) {
          seen.add(reader);
          queue.push(reader);
        }
    const downstream = new Set(
      [...seen]
        .map((id) => byId.get(id))
        .filter((n) => n?.kind === "model" || n?.kind === "snapshot")
        .map((n) => n!.name),
    );
    result.push({ finding, model: node.name, downstream });
  }
  return result;
};

/**
 * The base's dbt graph with each model's resolved output columns, computed once per base commit
 * and cached in its snapshot: a pull request then parses only the models downstream of its changes.
 */
const withOutputColumns = async (
  nodes: DbtNode[],
  state: SchemaState,
  dialectOf: (dataset: string) => Dialect,
): Promise<DbtNode[]> => {
  if (!nodes.some((node) => node.sql !== undefined)) return nodes;
  await loadPostgresParser();
  const lineage = buildLineage({ state, dialectOf, dbt: nodes });
  return nodes.map((node) => {
    if (node.sql === undefined) return node;
    const resolved = lineage.nodes.get(node.id);
    const known = resolved?.lineage === "known" && (resolved.passthrough ?? []).length === 0;
    return { ...node, outputColumns: known ? (resolved?.columns ?? null) : null };
  });
};

/**
 * The head lineage, kept with what the changes remove, and what each change reaches downstream;
 * undefined when no change flows downstream or the repository has no dbt project.
 */
const lineageOfChanges = async (input: {
  changes: readonly import("./model/change.ts").Change[];
  base: SchemaState;
  head: SchemaState;
  dbt: DbtNode[];
  baseDbt: readonly DbtNode[];
  dialectOf: (dataset: string) => Dialect;
}): Promise<LineageContext | undefined> => {
  if (input.dbt.length === 0 || !input.changes.some((change) => TRACED_KINDS.has(change.kind)))
    return undefined;
  await loadPostgresParser();
  const lineage: Lineage = buildLineage({
    state: input.head,
    dialectOf: input.dialectOf,
    dbt: input.dbt,
    removed: removedColumns(input.changes, input.base, (dataset) => seedColumns(input.baseDbt, dataset)),
    focus: input.changes.filter((change) => TRACED_KINDS.has(change.kind)).map((change) => change.dataset),
  });
  return { lineage, traces: traceChanges(lineage, input.changes) };
};
