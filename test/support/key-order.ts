/** One output record for {@link firstOutputOrder}: where it landed and which input record it stands for. */
export interface OrderedOutput {
  key: string;
  /** Output partition and offset: the order a reader of the output sees. */
  partition: number;
  offset: number;
  /** The input record it was made from, by its position in its input partition (its input offset order). */
  input: number;
}

/** A record whose first output came after the first output of a later record of its key. */
export interface OrderViolation {
  key: string;
  /** The record that came late, and the later record of its key whose first output preceded it. */
  input: number;
  overtakenBy: number;
  /** Where the late record's first output landed, and where the overtaking one's did. */
  at: { partition: number; offset: number };
  overtakenAt: { partition: number; offset: number };
}

/**
 * Per-key order of first outputs. For each key, the records are taken in the
 * order their *first* output appears in the output (partition, then offset;
 * a key's outputs share a partition), repeats ignored; a record is out of
 * order when a record of the same key with a higher input position had its
 * first output before it. At-least-once replays (an input record output
 * again after a crash) are not violations: only first appearances count.
 */
export function firstOutputOrder(outputs: readonly OrderedOutput[]): OrderViolation[] {
  const sorted = [...outputs].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const seen = new Set<number>();
  /** Per key: the highest input position whose first output was seen so far, and where. */
  const highest = new Map<string, { input: number; partition: number; offset: number }>();
  const violations: OrderViolation[] = [];
  for (const o of sorted) {
    if (seen.has(o.input)) continue;
    seen.add(o.input);
    const top = highest.get(o.key);
    if (top !== undefined && top.input > o.input) {
      violations.push({ key: o.key, input: o.input, overtakenBy: top.input, at: { partition: o.partition, offset: o.offset }, overtakenAt: { partition: top.partition, offset: top.offset } });
    } else highest.set(o.key, { input: o.input, partition: o.partition, offset: o.offset });
  }
  return violations;
}
