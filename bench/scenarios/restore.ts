/**
 * Bench: how long a stage's state takes to come back from its changelog on
 * another machine (issue 9). Writes N state entries through a LevelDB store
 * with a changelog on the embedded broker (batches of `--batch` keys, each an
 * append of its changes and a marker, then the local write), then opens a
 * fresh state directory against the same changelog and times the restore of
 * every partition. Not a timed test: it prints what it measured.
 *
 *   npx tsc -b && node bench/dist/scenarios/restore.js [--entries 1000000] [--partitions 32] [--batch 5000]
 *
 * The embedded broker keeps only about 5 MiB per partition: the partition
 * count is sized so the changelog fits (about 110 bytes per entry on the
 * log), and a truncated changelog would stop the restore with
 * SEDA_STATE_CHANGELOG_TRUNCATED rather than measure partial state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChangelog, serveControl, startBroker } from '@seda/kafka';
import { openStateStore } from '@seda/state';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const entries = arg('entries', 1_000_000);
const partitions = arg('partitions', 32);
const batch = arg('batch', 5000);
const topic = 'readings';

const broker = await startBroker({ brokers: 3 });
// openChangelog creates its topic through the control channel, which announces itself on the broker.
const control = await serveControl(broker);
const dirs: string[] = [];
try {
  await broker.createTopic(topic, partitions);
  const changelog = await openChangelog({ brokers: broker.bootstrap, topic: 'bench-restore-changelog', partitions });
  const writerDir = mkdtempSync(join(tmpdir(), 'seda-restore-writer-'));
  dirs.push(writerDir);
  const writer = await openStateStore({ dir: writerDir, changelog });
  const writeStarted = Date.now();
  const perPartition = Math.ceil(entries / partitions);
  let written = 0;
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      for (let from = 0; from < perPartition && p * perPartition + from < entries; from += batch) {
        const b = writer.begin(topic, p);
        const to = Math.min(perPartition, from + batch, entries - p * perPartition);
        for (let i = from; i < to; i++) b.put(`meter${p}-${i}`, { count: i % 97, sum: (i % 1013) / 4, last: 1767225600000 + i });
        await writer.commit(topic, p, b.seal(), to);
        written += to - from;
        if (written % 100_000 < to - from) process.stderr.write(`written ${written}/${entries}\n`);
      }
    }),
  );
  const writeMs = Date.now() - writeStarted;
  await writer.close();

  const readerDir = mkdtempSync(join(tmpdir(), 'seda-restore-reader-'));
  dirs.push(readerDir);
  let records = 0;
  const reader = await openStateStore({ dir: readerDir, changelog, onRestoreProgress: (pr) => pr.done && (records += pr.read) });
  const restoreStarted = Date.now();
  // Partitions restore one after another, as an instance restores what it was assigned.
  for (let p = 0; p < partitions; p++) {
    await reader.storedOffset(topic, p);
    process.stderr.write(`restored partition ${p + 1}/${partitions} (${records} changelog records)\n`);
  }
  const restoreMs = Date.now() - restoreStarted;
  const stored = await reader.partitions();
  const keys = stored.reduce((n, s) => n + s.keys, 0);
  await reader.close();
  await changelog.close();
  const result = {
    entries: written,
    partitions,
    batch,
    writeSeconds: writeMs / 1000,
    writeEntriesPerSecond: Math.round(written / (writeMs / 1000)),
    changelogRecords: records,
    restoreSeconds: restoreMs / 1000,
    restoredKeys: keys,
    restoreEntriesPerSecond: Math.round(keys / (restoreMs / 1000)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (keys !== written) {
    process.stderr.write(`error: restored ${keys} keys, wrote ${written}\n`);
    process.exitCode = 1;
  }
} finally {
  await control.close();
  await broker.stop(5000);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
