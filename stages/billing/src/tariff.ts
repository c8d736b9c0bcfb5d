/**
 * A time-of-day tariff: one price per kWh in the peak hours, another outside
 * them, by the local time of the reading in a given IANA time zone.
 */
export interface TariffOptions {
  /** Local time the peak starts, `HH:MM` (inclusive). */
  peakStart: string;
  /** Local time the peak ends, `HH:MM` (exclusive); before peakStart for a peak across midnight; equal to it for no peak at all. */
  peakEnd: string;
  peakPrice: number;
  offPeakPrice: number;
  /** IANA time zone of the peak hours, e.g. `Europe/Paris`. */
  timezone: string;
}

/** A compiled tariff. */
export interface Tariff {
  /** True when a reading at `ts` (epoch ms) is in the peak hours. */
  isPeak(ts: number): boolean;
  /** Price per kWh of a reading at `ts`. */
  priceAt(ts: number): number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Every zone offset in use today is a multiple of 15 minutes: offsets are cached per quarter hour. */
const QUARTER_MS = 15 * MINUTE_MS;
const MAX_CACHED = 100_000;

/** `HH:MM` (00:00-24:00) in ms after midnight, or undefined. */
export function parseClock(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return undefined;
  return (h * 60 + min) * MINUTE_MS;
}

/** What is wrong with an IANA time zone name, or undefined. */
export function checkTimezone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `must be an IANA time zone such as UTC or Europe/Paris (got "${zone}")`;
  }
}

/** The zone's offset from UTC (ms) at `ts`, from Intl. */
function offsetAt(format: Intl.DateTimeFormat, ts: number): number {
  const parts: { [type: string]: number } = {};
  for (const p of format.formatToParts(ts)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return local - Math.floor(ts / 1000) * 1000;
}

/** Compiles a tariff once; `isPeak` is then a few arithmetic operations (plus a cached zone offset). */
export function compileTariff(options: TariffOptions): Tariff {
  const start = parseClock(options.peakStart);
  const end = parseClock(options.peakEnd);
  if (start === undefined || end === undefined) throw new Error(`peak hours must be HH:MM (got ${options.peakStart}-${options.peakEnd})`);
  const utc = options.timezone === 'UTC' || options.timezone === 'Etc/UTC';
  const format = utc
    ? undefined
    : new Intl.DateTimeFormat('en-US', {
        timeZone: options.timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
  const offsets = new Map<number, number>();
  const localMsOfDay = (ts: number): number => {
    let offset = 0;
    if (format !== undefined) {
      const quarter = Math.floor(ts / QUARTER_MS);
      let o = offsets.get(quarter);
      if (o === undefined) {
        if (offsets.size >= MAX_CACHED) offsets.clear();
        o = offsetAt(format, quarter * QUARTER_MS);
        offsets.set(quarter, o);
      }
      offset = o;
    }
    return (((ts + offset) % DAY_MS) + DAY_MS) % DAY_MS;
  };
  const isPeak = (ts: number): boolean => {
    if (start === end) return false;
    const t = localMsOfDay(ts);
    return start < end ? t >= start && t < end : t >= start || t < end;
  };
  return {
    isPeak,
    priceAt: (ts) => (isPeak(ts) ? options.peakPrice : options.offPeakPrice),
  };
}
