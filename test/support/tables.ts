/** A record to produce at an explicit partition and timestamp. */
export interface TimedRecord {
  partition: number;
  key: string;
  value: string;
  timestamp: number;
}

/** A reading of the join tests: meter `m<k>` on partition k % partitions. */
export interface JoinReading extends TimedRecord {
  id: number;
  meter: number;
}

/** A tariff change: meter, price, from its timestamp on. */
export interface TariffChange extends TimedRecord {
  meter: number;
  price: number;
}

/**
 * A join workload in timestamp order: `count` readings 10 ms apart over
 * `meters` meters, an initial tariff per meter before the first reading, and
 * a tariff change every `changeEvery` readings (half of them stamped exactly
 * at a reading of that meter, the `<=` edge).
 */
export function joinWorkload(count: number, meters: number, partitions: number, changeEvery: number, t0: number): { readings: JoinReading[]; tariffs: TariffChange[] } {
  let rng = 12345;
  const rand = (n: number): number => {
    rng = (rng * 48271) % 2147483647;
    return rng % n;
  };
  const tariff = (meter: number, price: number, timestamp: number): TariffChange => ({
    meter,
    price,
    partition: meter % partitions,
    key: `m${meter}`,
    value: JSON.stringify({ price }),
    timestamp,
  });
  const tariffs: TariffChange[] = [];
  for (let m = 0; m < meters; m++) tariffs.push(tariff(m, 100 + m, t0 - 1000));
  const readings: JoinReading[] = [];
  for (let i = 0; i < count; i++) {
    const meter = rand(meters);
    const timestamp = t0 + i * 10;
    if (i > 0 && i % changeEvery === 0) tariffs.push(tariff(i % 2 === 0 ? meter : rand(meters), 1000 + i, i % 2 === 0 ? timestamp : timestamp - 5));
    readings.push({ id: i, meter, partition: meter % partitions, key: `m${meter}`, value: JSON.stringify({ id: i, kwh: 1 + rand(9) }), timestamp });
  }
  return { readings, tariffs };
}

/** The price each reading must get: its meter's latest tariff stamped at or before it. */
export function joinTruth(w: { readings: JoinReading[]; tariffs: TariffChange[] }): Map<number, number | null> {
  const truth = new Map<number, number | null>();
  for (const r of w.readings) {
    let best: TariffChange | undefined;
    for (const t of w.tariffs) if (t.meter === r.meter && t.timestamp <= r.timestamp && (best === undefined || t.timestamp >= best.timestamp)) best = t;
    truth.set(r.id, best?.price ?? null);
  }
  return truth;
}
