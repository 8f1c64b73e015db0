import { constants, setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import {
  type AnalysisResponse,
  performRequest,
  sharedValues,
  toWireError,
  type WireRequest,
} from "./analysis-pool.ts";

/** One analysis thread of the pool: one request (an analysis or a plan) at a time, answered with the result or the error. */
const port = parentPort;
if (!port) throw new Error("the analysis worker runs only as a worker thread");

// The analysis is batch work; the main thread answers webhooks and the API. On Linux a thread's
// nice value is its own, so this thread yields the CPU to the main thread (and takes every idle
// cycle otherwise): without it, analyses on every core delay webhook acknowledgements by seconds.
try {
  setPriority(constants.priority.PRIORITY_LOW);
} catch {
  // Not permitted or not supported here: the analysis still runs, at normal priority.
}

const resolveShared = sharedValues();
port.on("message", async (wire: WireRequest) => {
  let response: AnalysisResponse;
  try {
    response = { type: "result", ok: true, result: await performRequest(resolveShared(wire)) };
  } catch (error) {
    response = { type: "result", ok: false, error: toWireError(error) };
  }
  port.postMessage(response);
});
port.postMessage({ type: "ready" } satisfies AnalysisResponse);
