import { errorCodes, type ApiName, type EmbeddedBroker } from '@seda/kafka';
import { inRounds, random, type RoundsOptions } from './rounds.js';
import { pause } from './wait.js';

/** The kinds of fault `--chaos` injects, each at least once per round. */
export const faultKinds = ['broker-down', 'leader-move', 'produce-errors', 'fetch-errors', 'commit-errors', 'join-errors', 'rtt-spike'] as const;

/** A kind of injected fault. */
export type FaultKind = (typeof faultKinds)[number];

/** A fault injected by `--chaos`. */
export interface Fault {
  kind: FaultKind;
  /** One line: what exactly, e.g. "broker 2 down for 2.1 s". */
  detail: string;
  /** When it began, ms since the demo started. */
  atMs: number;
}

/**
 * Retriable errors a real cluster answers with (a leader moved, a coordinator
 * moving or loading): clients must ride them out, not fail.
 */
const requestErrors: { [K in Extract<FaultKind, `${string}-errors`>]: { api: ApiName; codes: number[] } } = {
  'produce-errors': { api: 'Produce', codes: [errorCodes.NOT_LEADER_OR_FOLLOWER, errorCodes.REQUEST_TIMED_OUT, errorCodes.NOT_ENOUGH_REPLICAS] },
  'fetch-errors': { api: 'Fetch', codes: [errorCodes.NOT_LEADER_OR_FOLLOWER, errorCodes.NOT_LEADER_OR_FOLLOWER, errorCodes.NOT_LEADER_OR_FOLLOWER] },
  'commit-errors': { api: 'OffsetCommit', codes: [errorCodes.COORDINATOR_NOT_AVAILABLE, errorCodes.NOT_COORDINATOR, errorCodes.REQUEST_TIMED_OUT] },
  'join-errors': { api: 'JoinGroup', codes: [errorCodes.COORDINATOR_LOAD_IN_PROGRESS, errorCodes.COORDINATOR_NOT_AVAILABLE] },
};

/** Undoes every fault `--chaos` can leave behind: all brokers up, no added latency, no pending request errors. */
export function healBroker(broker: EmbeddedBroker): void {
  for (const id of broker.brokerIds) broker.setBrokerUp(id);
  broker.setRtt(-1, 0);
  for (const { api } of Object.values(requestErrors)) broker.clearRequestErrors(api);
}

/**
 * --chaos: until `done()`, every `everyMs` (+/- 50%) injects the next fault
 * of a seeded shuffle of {@link faultKinds} into the embedded broker (each
 * kind once per round), holds it 1-3 s where it lasts (a broker down, an RTT
 * spike), then undoes it. The broker is healed however this ends (Ctrl-C:
 * rejects with Interrupted).
 */
export async function injectChaos(
  options: RoundsOptions & {
    broker: EmbeddedBroker;
    topics: string[];
    partitions: number;
    everyMs: number;
    onFault: (fault: Fault) => void;
  },
): Promise<void> {
  const { broker } = options;
  const rand = random(options.seed + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const holdMs = (): number => 1000 + Math.round(rand() * 2000);
  try {
    await inRounds(faultKinds, options.everyMs, rand, options, async (kind) => {
      const atMs = Date.now() - options.started;
      if (kind === 'broker-down') {
        const id = pick(broker.brokerIds);
        const ms = holdMs();
        options.onFault({ kind, detail: `broker ${id} down for ${(ms / 1000).toFixed(1)} s`, atMs });
        broker.setBrokerDown(id);
        try {
          await pause(ms, options.signal);
        } finally {
          broker.setBrokerUp(id);
        }
      } else if (kind === 'rtt-spike') {
        const rtt = 200 + Math.round(rand() * 600);
        const ms = holdMs();
        options.onFault({ kind, detail: `+${rtt} ms round trip on every broker for ${(ms / 1000).toFixed(1)} s`, atMs });
        broker.setRtt(-1, rtt);
        try {
          await pause(ms, options.signal);
        } finally {
          broker.setRtt(-1, 0);
        }
      } else if (kind === 'leader-move') {
        const topic = pick(options.topics);
        const partition = Math.floor(rand() * options.partitions);
        const to = pick(broker.brokerIds);
        options.onFault({ kind, detail: `leader of ${topic}/${partition} moved to broker ${to}`, atMs });
        broker.setPartitionLeader(topic, partition, to);
      } else {
        const { api, codes } = requestErrors[kind];
        options.onFault({ kind, detail: `next ${codes.length} ${api} requests fail (${codes.join(', ')})`, atMs });
        broker.pushRequestErrors(api, codes);
      }
    });
  } finally {
    healBroker(broker);
  }
}

/** Faults counted by kind, in {@link faultKinds} order: "broker-down x2, leader-move x1, ...". */
export function faultSummary(faults: Fault[]): string {
  return faultKinds
    .map((k) => [k, faults.filter((f) => f.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} x${n}`)
    .join(', ');
}
