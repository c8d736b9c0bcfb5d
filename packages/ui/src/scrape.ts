import { SedaError } from '@seda/core';

/** Totals of one scrape of a stage's /metrics. */
export interface Scraped {
  at: number;
  in: number;
  out: number;
  deadLetters: number;
  retries: number;
  rebalances: number;
  stateBytes?: number;
  restoreRemaining?: number;
}

/** The sum of every series of `name` in a Prometheus text exposition; undefined when absent. */
export function sumSeries(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) total = (total ?? 0) + v;
  }
  return total;
}

/** Scrapes a stage's /metrics (bounded: 1.5 s). */
export async function scrape(url: string): Promise<Scraped> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1500) }).catch((err: unknown) => {
    throw new SedaError('SEDA_UI_SCRAPE', `cannot scrape ${url}: ${(err as Error).message}`, { cause: err });
  });
  if (!res.ok) throw new SedaError('SEDA_UI_SCRAPE', `scraping ${url} answered ${res.status}`);
  const text = await res.text();
  return {
    at: Date.now(),
    in: sumSeries(text, 'seda_records_in_total') ?? 0,
    out: sumSeries(text, 'seda_records_out_total') ?? 0,
    deadLetters: sumSeries(text, 'seda_dead_letters_total') ?? 0,
    retries: sumSeries(text, 'seda_retries_total') ?? 0,
    rebalances: sumSeries(text, 'seda_rebalances_total') ?? 0,
    stateBytes: sumSeries(text, 'seda_state_size_bytes'),
    restoreRemaining: sumSeries(text, 'seda_state_restore_remaining_records'),
  };
}
