/** Thrown by the demo's waits once it is asked to stop (Ctrl-C). */
export class Interrupted extends Error {}

/** Sleeps, or rejects with {@link Interrupted} as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `pred` until true (resolves true), `timeoutMs` passes (false) or `signal` aborts (rejects). */
export async function until(pred: () => boolean, timeoutMs: number, signal: AbortSignal, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await pause(everyMs, signal);
  }
  return true;
}
