import type Kafka from 'node-rdkafka';
import { applyTableRecord, TableQueue, tablePositionKey, type Logger, type Stage, type StateProvider, type StateStore, type TableInfo, type TableRecord, type TableSource } from '@seda/core';
import type { KafkaProperties, TopicPartition, TopicPartitionOffset } from '@seda/kafka';
import { checkCoPartitioned } from './table-partitions.js';
import { TableConsumer } from './table-consumer.js';
import { globalTables } from './global-tables.js';
import { waitForTables, type TableLane, type TableWaitStats } from './table-wait.js';

/** Options of {@link openStageTables}. */
export interface StageTablesOptions {
  brokers: string;
  kafka: KafkaProperties;
  group: string;
  log: Logger;
  /** The input topic and partition counts of the checked topics (the input's and the tables'). */
  input: string;
  partitions: { [topic: string]: number };
  /**
   * How long a batch waits for the table consumer to fetch more when it is
   * behind the table's high watermark and has fetched nothing newer than the
   * batch (then the batch goes on with what was fetched). Default 2000 ms.
   */
  idleMs?: number;
  /** Each table's topic, overrides applied; the declared topics by default. */
  topics?: { [table: string]: string };
}

/** A stage instance's tables: the {@link TableSource} its transform reads, fed by one assigned consumer. */
export interface StageTables {
  readonly source: TableSource;
  /** Starts the assigned input partitions' co-partitioned tables at the positions stored with their state. */
  assign(partitions: TopicPartition[], state: StateProvider): Promise<void>;
  /** Stops fetching the revoked partitions' tables. */
  revoke(partitions: TopicPartition[]): void;
  /** Counts of the batches' waits for the tables (see {@link waitForTables}). */
  readonly stats: Readonly<TableWaitStats>;
  close(): Promise<void>;
}

interface Lane extends TableLane {
  readonly info: TableInfo;
}

/**
 * Opens the tables of a stage that declares any: checks co-partitioning
 * (refuses with `SEDA_RUNTIME_TABLE_PARTITIONS`), connects the table
 * consumer and reads every global table to its end before returning.
 * Undefined when the stage declares no tables.
 */
export async function openStageTables(stage: Stage, o: StageTablesOptions): Promise<StageTables | undefined> {
  const tables = Object.entries(stage.tables ?? {}).map(([name, t]): [string, TableInfo] => [name, { ...t, topic: o.topics?.[name] ?? t.topic }]);
  if (tables.length === 0) return undefined;
  checkCoPartitioned(stage.name, tables, o.input, o.partitions);
  const idleMs = o.idleMs ?? 2000;
  const log = o.log.child({ component: 'tables' });
  const copart = tables.filter(([, t]) => !t.global);
  /** Lanes of each input partition. */
  const lanes = new Map<number, Lane[]>();
  const global = globalTables(tables.filter(([, t]) => t.global), { partitions: o.partitions, log });
  const consumer = new TableConsumer({
    brokers: o.brokers,
    kafka: o.kafka,
    clientId: `${o.group}-tables`,
    log,
    onRecord: (m) => {
      global?.take(m);
      for (const lane of lanes.get(m.partition) ?? []) {
        if (lane.topic !== m.topic) continue;
        lane.queue.push(decode(lane, m, log));
        lane.progressAt = Date.now();
      }
    },
  });
  await consumer.connect();
  const assignment = (): TopicPartitionOffset[] => [
    ...[...lanes.entries()].flatMap(([partition, ls]) => ls.map((l) => ({ topic: l.topic, partition, offset: l.queue.fetchedTo }))),
    ...(global?.assignment() ?? []),
  ];
  try {
    consumer.assign(assignment());
    await global?.catchUp(consumer);
  } catch (err) {
    await consumer.close();
    throw err;
  }

  const stats: TableWaitStats = { idleTimeouts: 0 };
  const wait = (partition: number, t: number): Promise<void> => waitForTables(lanes.get(partition) ?? [], partition, t, { fetcher: consumer, idleMs, log, stats });

  return {
    source: {
      ready(topic, partition, maxTimestamp) {
        const ls = lanes.get(partition);
        if (ls === undefined || ls.every((l) => l.queue.decides(maxTimestamp))) return undefined;
        return wait(partition, maxTimestamp);
      },
      advance(topic, partition, timestamp, state: StateStore) {
        const ls = lanes.get(partition);
        if (ls === undefined) return;
        for (const lane of ls) for (const r of lane.queue.take(timestamp)) applyTableRecord(state, lane.name, r);
      },
      lookup: (table, key) => global?.lookup(table, key),
    },
    async assign(partitions, state) {
      if (copart.length === 0) return;
      for (const p of partitions) {
        const batch = state.begin(p.topic, p.partition);
        const ls: Lane[] = [];
        for (const [name, info] of copart) {
          const stored = (await batch.get(tablePositionKey(name))) as number | undefined;
          ls.push({ name, topic: info.topic, info, queue: new TableQueue(stored ?? 0), progressAt: Date.now() });
        }
        lanes.set(p.partition, ls);
        log.info({ partition: p.partition, tables: ls.map((l) => ({ table: l.name, from: l.queue.fetchedTo })) }, 'tables starting at stored positions');
      }
      consumer.assign(assignment());
    },
    revoke(partitions) {
      if (copart.length === 0) return;
      for (const p of partitions) lanes.delete(p.partition);
      consumer.assign(assignment());
    },
    stats,
    close: () => consumer.close(),
  };
}

/** A fetched table record as the queue keeps it; an undecodable one is logged and only moves the position. */
function decode(lane: Lane, m: Kafka.Message, log: Logger): TableRecord {
  const r: TableRecord = { offset: m.offset, timestamp: m.timestamp ?? 0, key: '', value: undefined };
  try {
    r.key = String(lane.info.keyCodec.decode(m.key === undefined || m.key === null ? null : Buffer.from(m.key as Buffer)));
    r.value = m.value === null || m.value === undefined ? null : lane.info.codec.decode(m.value);
  } catch (err) {
    log.error({ table: lane.name, partition: m.partition, offset: m.offset, err: (err as Error).message }, 'table record cannot be decoded; skipped (the table keeps the key\'s previous value)');
    r.value = undefined;
  }
  return r;
}
