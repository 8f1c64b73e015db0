/** The error an aborted query rejects with: the signal's reason, else a standard AbortError. */
export const abortError = (signal: AbortSignal | undefined): Error => {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException("the query was aborted", "AbortError");
};

/** Runs tasks one at a time, in order: a source has one connection. */
export const queueing = () => {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
};

/** 64-bit integers as numbers when exact, else as text (JSON has no 64-bit integers). */
export const plainBigInt = (value: bigint): number | string =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();

/** Integer text as a number when exact, else unchanged. */
export const plainIntegerText = (text: string): number | string => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};
