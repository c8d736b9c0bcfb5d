/** A map key for a topic partition: one string per (topic, partition), never ambiguous (topic names hold no NUL). */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
