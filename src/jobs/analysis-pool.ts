import { Worker } from "node:worker_threads";
import {
  type AnalysisPlan,
  type AnalysisResult,
  type AnalyzeInput,
  analyze,
  type PlanInput,
  planAnalysis,
} from "../core/analyze.ts";
import { CovenantError, type ErrorCode, type ErrorDetail } from "../core/errors.ts";

/**
 * `analyze()` is CPU-bound (a PR can replay thousands of migrations): run on the main thread it
 * holds back webhook acknowledgements and API requests. The pool runs it on a few worker threads.
 * What crosses is structured-cloned: AnalyzeInput and AnalysisResult are plain data and Maps.
 */
export type AnalysisPool = {
  /**
   * The base's paths, contents and snapshot cross to a thread once (by identity) and are named by
   * id afterwards: they must not be changed once passed (a cached base never is).
   */
  run: (input: AnalyzeInput) => Promise<AnalysisResult>;
  /**
   * `planAnalysis()` on a pool thread: finding the migration histories and dbt projects among a
   * repository's paths takes milliseconds for a few thousand paths, and a job plans before each
   * analysis; on the main thread that would hold back every webhook arriving meanwhile.
   */
  plan: (input: PlanInput) => Promise<AnalysisPlan>;
  /**
   * Starts every thread now (at boot) rather than on the first analysis: a thread's start costs
   * a second or more of CPU, which would otherwise land on the first webhooks' acknowledgements.
   */
  start: () => void;
  /** Ends the worker threads; a run still in flight is rejected, later runs go on the main thread. */
  stop: () => Promise<void>;
  /** The live worker threads (diagnostics and tests). */
  workers: () => readonly Worker[];
};

type Log = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
};

export type WireError = {
  name: string;
  message: string;
  stack?: string;
  code?: ErrorCode;
  details?: ErrorDetail[];
};
export type AnalysisRequest = { kind: "analyze"; input: AnalyzeInput } | { kind: "plan"; input: PlanInput };

/**
 * The parts of a request that every PR on the same base shares (the base's paths, contents and
 * replayed snapshot: thousands of entries for a large repository). A thread keeps the last few it
 * was sent, so a request names them by id instead of cloning them again on the main thread.
 */
const SHARED_FIELDS = ["basePaths", "base", "baseSnapshot"] as const;
type SharedField = (typeof SHARED_FIELDS)[number];
/** Shared values a thread keeps (a few bases' worth); the pool tells it which to forget. */
const SHARED_PER_THREAD = 9;

/** A request as it crosses to a thread: shared fields by id, with the value only when the thread lacks it. */
export type WireRequest = {
  request: AnalysisRequest;
  shared: { field: SharedField; id: number; value?: unknown }[];
  /** Shared values the thread may forget now (the pool no longer names them). */
  forget: number[];
};

/** The thread's side of the shared values: fills the request back in and forgets what it is told to. */
export const sharedValues = () => {
  const values = new Map<number, unknown>();
  return (wire: WireRequest): AnalysisRequest => {
    const input: Record<string, unknown> = { ...wire.request.input };
    for (const { field, id, value } of wire.shared) {
      if (value !== undefined) values.set(id, value);
      if (!values.has(id)) throw new Error(`analysis thread: shared value ${id} (${field}) was never sent`);
      input[field] = values.get(id);
    }
    for (const id of wire.forget) values.delete(id);
    return { ...wire.request, input } as AnalysisRequest;
  };
};
export type AnalysisResponse =
  | { type: "ready" }
  | { type: "result"; ok: true; result: AnalysisResult | AnalysisPlan }
  | { type: "result"; ok: false; error: WireError };

/** What a pool thread (or the calling thread, without threads) does with a request. */
export const performRequest = async (request: AnalysisRequest): Promise<AnalysisResult | AnalysisPlan> =>
  request.kind === "plan" ? planAnalysis(request.input) : analyze(request.input);

/** Errors lose their class when cloned: keep what the edges translate (CovenantError's code and details). */
export const toWireError = (error: unknown): WireError => {
  if (error instanceof CovenantError)
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: error.code,
      details: error.details,
    };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: "Error", message: String(error) };
};

const fromWireError = (wire: WireError): Error => {
  const error = wire.code
    ? new CovenantError(wire.code, wire.message, wire.details)
    : new Error(wire.message);
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  return error;
};

type Task = {
  request: AnalysisRequest;
  // biome-ignore lint/suspicious/noExplicitAny: the result type follows the request's kind (see `submit`)
  resolve: (result: any) => void;
  reject: (error: unknown) => void;
};
type Slot = {
  worker: Worker;
  /** Ids of the shared values the thread holds, least recently used first. */
  shared: number[];
  ready: boolean;
  task: Task | null;
  error: Error | null;
  deadline: ReturnType<typeof setTimeout> | null;
  timedOut: boolean;
};

/**
 * An analysis that runs longer than this is stopped (its thread terminated) and fails with the
 * reason, so its check run completes instead of staying in progress behind a renewed job lease.
 */
export const DEFAULT_ANALYSIS_TIMEOUT_MS = 10 * 60_000;

// Compiled (dist/), the worker is plain JavaScript; from the TypeScript sources, a shim that
// registers tsx in the thread first (threads do not inherit the main thread's loader).
const WORKER_ENTRY = new URL(
  import.meta.url.endsWith(".ts") ? "./analysis-worker.mjs" : "./analysis-worker.js",
  import.meta.url,
);

/** `threads` worker threads, started on demand; 0 runs every analysis on the calling thread. */
export const createAnalysisPool = ({
  threads,
  logger,
  timeoutMs = DEFAULT_ANALYSIS_TIMEOUT_MS,
}: {
  threads: number;
  logger: Log;
  /** Per analysis on a worker thread (an in-thread analysis cannot be interrupted). */
  timeoutMs?: number;
}): AnalysisPool => {
  let inThread = threads <= 0;
  // Ids by identity: the same LoadedBase objects come back for every PR on a cached base.
  const sharedIds = new WeakMap<object, number>();
  let nextSharedId = 1;
  const toWire = (slot: Slot, request: AnalysisRequest): { wire: WireRequest; held: number[] } => {
    const input: Record<string, unknown> = { ...request.input };
    const held = [...slot.shared];
    const shared: WireRequest["shared"] = [];
    for (const field of SHARED_FIELDS) {
      const value = input[field];
      if (typeof value !== "object" || value === null) continue;
      let id = sharedIds.get(value);
      if (id === undefined) {
        id = nextSharedId++;
        sharedIds.set(value, id);
      }
      const at = held.indexOf(id);
      if (at >= 0) held.splice(at, 1);
      shared.push({ field, id, ...(at >= 0 ? {} : { value }) });
      held.push(id);
      delete input[field];
    }
    const forget = held.splice(0, Math.max(0, held.length - SHARED_PER_THREAD));
    return { wire: { request: { ...request, input } as AnalysisRequest, shared, forget }, held };
  };
  let stopped = false;
  const slots = new Set<Slot>();
  const queue: Task[] = [];

  const runInThread = (task: Task) => {
    performRequest(task.request).then(task.resolve, task.reject);
  };

  // A worker that cannot even load (missing loader, broken install) must not lose jobs: analyse here.
  const fallBack = (error: Error) => {
    if (inThread) return;
    inThread = true;
    logger.warn({ err: error }, "analysis worker threads could not start; analysing on the main thread");
    for (const slot of slots) void slot.worker.terminate();
    for (const task of queue.splice(0)) runInThread(task);
  };

  const finish = (slot: Slot) => {
    const task = slot.task;
    slot.task = null;
    if (slot.deadline) clearTimeout(slot.deadline);
    slot.deadline = null;
    slot.worker.unref();
    return task;
  };

  const spawn = (): Slot | null => {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_ENTRY);
    } catch (error) {
      fallBack(error instanceof Error ? error : new Error(String(error)));
      return null;
    }
    const slot: Slot = {
      worker,
      shared: [],
      ready: false,
      task: null,
      error: null,
      deadline: null,
      timedOut: false,
    };
    slots.add(slot);
    worker.on("message", (message: AnalysisResponse) => {
      if (message.type === "ready") {
        slot.ready = true;
        logger.info({ threadId: worker.threadId }, "analysis worker started");
        return;
      }
      const task = finish(slot);
      if (message.ok) task?.resolve(message.result);
      else task?.reject(fromWireError(message.error));
      dispatch();
    });
    worker.on("error", (error) => {
      slot.error = error;
    });
    worker.on("exit", (code) => {
      slots.delete(slot);
      const task = finish(slot);
      if (!slot.ready && slot.error && !slot.timedOut && !stopped) {
        if (task) queue.unshift(task);
        fallBack(slot.error);
        return;
      }
      const why = slot.error ? slot.error.message : stopped ? "the pool was stopped" : `exit code ${code}`;
      task?.reject(new CovenantError("internal", `the analysis worker stopped before finishing (${why})`));
      dispatch();
    });
    return slot;
  };

  const dispatch = () => {
    while (queue.length > 0) {
      if (inThread || stopped) {
        for (const task of queue.splice(0)) runInThread(task);
        return;
      }
      let slot = [...slots].find((s) => s.task === null) ?? null;
      if (!slot) {
        if (slots.size >= threads) return;
        slot = spawn();
        if (!slot) continue;
      }
      const task = queue.shift()!;
      const busy = slot;
      busy.task = task;
      busy.deadline = setTimeout(() => {
        busy.timedOut = true;
        busy.error = new Error(
          `it did not finish within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} and was stopped`,
        );
        logger.warn(
          { threadId: busy.worker.threadId, timeoutMs },
          "analysis timed out; its worker is replaced",
        );
        void busy.worker.terminate();
      }, timeoutMs);
      busy.worker.ref();
      try {
        const { wire, held } = toWire(slot, task.request);
        slot.worker.postMessage(wire);
        // Only once sent: a request that cannot be cloned leaves the thread's values as they were.
        slot.shared = held;
      } catch (error) {
        // Not structured-clone-safe (a function or class instance in the input): a bug of the caller.
        finish(slot);
        task.reject(error);
      }
    }
  };

  const submit = <T>(request: AnalysisRequest) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ request, resolve, reject });
      dispatch();
    });

  return {
    run: (input) => submit<AnalysisResult>({ kind: "analyze", input }),
    plan: (input) => submit<AnalysisPlan>({ kind: "plan", input }),
    start: () => {
      if (inThread || stopped) return;
      while (slots.size < threads) {
        const slot = spawn();
        if (!slot) return;
        // Idle threads do not keep the process alive; a task refs its thread while it runs.
        slot.worker.unref();
      }
    },
    stop: async () => {
      stopped = true;
      await Promise.all([...slots].map((slot) => slot.worker.terminate()));
    },
    workers: () => [...slots].map((slot) => slot.worker),
  };
};
