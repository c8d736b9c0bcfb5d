// The optional slowness of the stage fixtures, so a test can kill one mid-stream.

/**
 * A pacer for one fixture (its own count, so stages chained in one process
 * pause independently): every SEDA_FIXTURE_PAUSE_EVERY-th call (never when
 * unset) returns a pause of SEDA_FIXTURE_PAUSE_MS (default 1 ms); other
 * calls return undefined, so a sync fixture stays sync.
 */
export function fixturePacer(): () => Promise<void> | undefined {
  const every = Number(process.env.SEDA_FIXTURE_PAUSE_EVERY ?? 0);
  const pauseMs = Number(process.env.SEDA_FIXTURE_PAUSE_MS ?? 1);
  let n = 0;
  return () => (every > 0 && ++n % every === 0 ? new Promise<void>((resolve) => setTimeout(resolve, pauseMs)) : undefined);
}
