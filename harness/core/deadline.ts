/** Reject with `timeoutError()` once `ms` pass, unless `p` settled first. The timer never holds the process open. */
export function withDeadline<T>(p: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError()), ms);
      timer.unref();
    }),
  ]);
}
