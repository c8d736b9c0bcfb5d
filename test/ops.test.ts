import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor, type SedaProcess } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

/** The port a `seda run --metrics-port 0` process listens on, from its log. */
async function metricsPort(p: SedaProcess): Promise<number> {
  const line = await p.waitForLog((l) => typeof l.port === 'number' && String(l.msg).startsWith('metrics at'), 30_000, 'the metrics endpoint');
  return line.port as number;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/** The value of one series of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: { [k: string]: string } = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('operations: metrics, health and broker loss', function () {
  this.timeout(120_000);

  it('/metrics counts exactly the records in and out; /readyz is ready once assigned, not ready while every broker is down, ready again after; the stage resumes', async () => {
    const broker = testBroker();
    const input = await createTestTopic('ops-in', 2);
    const output = await createTestTopic('ops-out', 2);
    const group = `ops-g-${process.pid}`;
    const first = Array.from({ length: 400 }, (_, i) => ({ key: `k${i % 9}`, value: `v${i}` }));
    await produceRaw(broker.bootstrap, input, first);

    const p = startSeda([
      'run', fixture('relay'), '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning',
      '--commit-interval', '200', '--metrics-port', '0', '--kafka', 'statistics.interval.ms=300',
    ]);
    try {
      const port = await metricsPort(p);
      let text = '';
      await waitFor(async () => {
        text = (await get(port, '/metrics')).body;
        return sample(text, 'seda_records_out_total') === 400 && (sample(text, 'seda_commits_total') ?? 0) >= 1;
      }, 60_000, '400 records out and a commit in /metrics', 200);
      const labels = { stage: 'relay', group };
      expect(sample(text, 'seda_records_in_total', { ...labels, topic: input })).to.equal(400);
      expect(sample(text, 'seda_records_out_total', { ...labels, output: 'out', topic: output })).to.equal(400);
      expect(sample(text, 'seda_dead_letters_total', { topic: `${input}.dlq` })).to.equal(0);
      expect(sample(text, 'seda_retries_total', labels)).to.equal(0);
      expect(sample(text, 'seda_batch_duration_seconds_count', labels)).to.be.greaterThan(0);
      expect(sample(text, 'seda_commit_duration_seconds_count', labels)).to.equal(sample(text, 'seda_commits_total', labels));
      expect(sample(text, 'seda_rebalances_total', { event: 'assigned' })).to.be.at.least(1);
      expect(sample(text, 'seda_assigned_partitions', labels)).to.equal(2);
      expect(sample(text, 'seda_stage_info', { mode: 'at-least-once', input })).to.equal(1);
      expect(sample(text, 'process_cpu_user_seconds_total'), 'Node process metrics').to.be.a('number');
      expect(sample(text, 'nodejs_eventloop_lag_seconds')).to.be.a('number');
      // Lag and the producer queue come from librdkafka's statistics, every 300 ms here.
      await waitFor(async () => {
        text = (await get(port, '/metrics')).body;
        const lagZero = [0, 1].every((partition) => sample(text, 'seda_consumer_lag', { topic: input, partition: String(partition) }) === 0);
        return lagZero && sample(text, 'seda_producer_queue_messages', labels) === 0;
      }, 20_000, 'lag 0 on both partitions and an empty producer queue', 200);
      expect(sample(text, 'seda_kafka_brokers_up', { client: 'consumer' })).to.be.greaterThan(0);

      const ready = await get(port, '/readyz');
      expect(ready.status, ready.body).to.equal(200);
      expect(JSON.parse(ready.body).checks.group.ok).to.equal(true);
      expect((await get(port, '/healthz')).status).to.equal(200);

      for (const id of broker.brokerIds) broker.setBrokerDown(id);
      try {
        let down = { status: 0, body: '' };
        await waitFor(async () => (down = await get(port, '/readyz')).status === 503, 30_000, '/readyz not ready with every broker down', 200);
        expect(JSON.parse(down.body).checks.kafka.ok).to.equal(false);
        expect((await get(port, '/healthz')).status, 'alive while the broker is away').to.equal(200);
        expect(p.child.exitCode, 'still running').to.equal(null);
      } finally {
        for (const id of broker.brokerIds) broker.setBrokerUp(id);
      }
      await waitFor(async () => (await get(port, '/readyz')).status === 200, 60_000, '/readyz ready again after the brokers came back', 250);

      // It resumes: new records go through and get committed.
      const commitsBefore = sample((await get(port, '/metrics')).body, 'seda_commits_total') ?? 0;
      await produceRaw(broker.bootstrap, input, Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 9}`, value: `w${i}` })));
      await waitFor(async () => {
        text = (await get(port, '/metrics')).body;
        return sample(text, 'seda_records_out_total') === 500 && (sample(text, 'seda_commits_total') ?? 0) > commitsBefore;
      }, 60_000, '500 records out and a new commit after the outage', 200);
      expect(sample(text, 'seda_records_in_total')).to.equal(500);

      p.kill('SIGTERM');
      expect((await p.exited(30_000)).code).to.equal(0);
      const out = await readAll(broker.bootstrap, output, { expected: 500, idleMs: 1000 });
      expect(new Set(out.map((r) => r.value)).size).to.equal(500);
      const lag = await runSeda(['lag', group, '--topic', input, '--json']);
      expect(JSON.parse(lag.stdout).map((r: { lag: number }) => r.lag)).to.deep.equal([0, 0]);
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('a state-mode stage reports state writes and size; seda lag --state-dir reads the stored offsets, from a live store too', async () => {
    const broker = testBroker();
    const input = await createTestTopic('ops-state-in', 2);
    const output = await createTestTopic('ops-state-out', 2);
    const group = `ops-state-${process.pid}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'seda-ops-state-'));
    const hour = 3_600_000;
    await produceRaw(broker.bootstrap, input, Array.from({ length: 120 }, (_, i) => ({ key: `m${i % 4}`, value: JSON.stringify({ kwh: 1, ts: i * 60_000 + hour }), partition: i % 2 })));
    const p = startSeda(['run', fixture('hourly'), '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning', '--state-dir', stateDir, '--metrics-port', '0', '--commit-interval', '200']);
    try {
      const port = await metricsPort(p);
      let text = '';
      await waitFor(async () => {
        text = (await get(port, '/metrics')).body;
        return sample(text, 'seda_records_in_total') === 120;
      }, 60_000, '120 records in', 200);
      await waitFor(async () => {
        const r = await runSeda(['lag', group, '--state-dir', stateDir, '--json']);
        const rows = JSON.parse(r.stdout || '[]') as Array<{ committed: number; high: number; lag: number }>;
        return r.code === 0 && rows.length === 2 && rows.every((row) => row.lag === 0 && row.committed === row.high);
      }, 30_000, 'stored offsets at the high watermarks, read while the stage runs', 300);
      text = (await get(port, '/metrics')).body;
      expect(sample(text, 'seda_state_write_duration_seconds_count')).to.be.greaterThan(0);
      expect(sample(text, 'seda_state_size_bytes')).to.be.greaterThan(0);
      p.kill('SIGTERM');
      expect((await p.exited(30_000)).code).to.equal(0);
      const after = await runSeda(['lag', group, '--state-dir', stateDir]);
      expect(after.code, after.stderr).to.equal(0);
      expect(after.stdout).to.match(/\tstored\t/).and.to.match(/total lag: 0/);
    } finally {
      p.kill('SIGKILL');
    }
  });
});

describe('operations: configuration and secrets', function () {
  this.timeout(60_000);

  it('a bad configuration lists every problem and exits before connecting to anything', async () => {
    const r = await runSeda(['run', fixture('relay'), '--brokers', '127.0.0.1:1', '--batch-size', '0', '--kafka', 'linger.msec=5'], { env: { SEDA_COMMIT_INTERVAL_MS: 'soon' } });
    expect(r.code).to.equal(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).to.equal('error: invalid configuration: 3 problems');
    expect(r.stderr).to.match(/batchSize \(flag --batch-size\): out of range/);
    expect(r.stderr).to.match(/commitIntervalMs \(env SEDA_COMMIT_INTERVAL_MS\): expected a whole number/);
    expect(r.stderr).to.match(/kafka\.linger\.msec \(flag --kafka\): "linger\.msec" is not a librdkafka property/);
    expect(r.stderr, 'nothing tried to connect').to.not.match(/cannot reach Kafka/);
  });

  it('an unreachable broker at start: one log line per attempt, then one error and a non-zero exit', async () => {
    const r = await runSeda(['run', fixture('relay'), '--brokers', '127.0.0.1:1', '--connect-attempts', '3', '--connect-backoff', '100', '--connect-timeout', '1000']);
    expect(r.code).to.equal(1);
    const attempts = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.attempt !== undefined);
    expect(attempts.map((l) => [l.attempt, l.attempts, l.nextInMs])).to.deep.equal([[1, 3, 100], [2, 3, 200]]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).to.deep.equal([
      'error: ' + r.stderr.split('error: ')[1].split('\n')[0],
    ]);
    expect(r.stderr).to.match(/error: cannot reach Kafka at 127\.0\.0\.1:1 after 3 attempts/);
  });

  it('a password given in the configuration appears in no log line and not in seda config --print', async () => {
    const filePassword = 'file-pw-Zq8rT3';
    const envPassword = 'env-pw-Kx4vW9';
    const flagPassword = 'flag-pw-Hb2nM7';
    const input = await createTestTopic('ops-secret-in', 1);
    const output = await createTestTopic('ops-secret-out', 1);
    const cfg = join(mkdtempSync(join(tmpdir(), 'seda-secret-')), 'seda.json');
    writeFileSync(cfg, JSON.stringify({ input, outputs: { out: output }, kafka: { 'sasl.password': filePassword, 'sasl.username': 'alice' }, logLevel: 'trace' }));
    const env = { SEDA_KAFKA_SSL_KEY_PASSWORD: envPassword };

    const printed = await runSeda(['config', '--print', '--config', cfg, '--kafka', `ssl.keystore.password=${flagPassword}`], { env });
    expect(printed.code, printed.stderr).to.equal(0);
    expect(printed.stdout).to.match(/kafka\.sasl\.password\s+\[redacted\]\s+file /);
    expect(printed.stdout).to.match(/kafka\.ssl\.key\.password\s+\[redacted\]\s+env SEDA_KAFKA_SSL_KEY_PASSWORD/);
    expect(printed.stdout).to.match(/kafka\.sasl\.username\s+alice/);
    const json = await runSeda(['config', '--json', '--config', cfg, '--kafka', `ssl.keystore.password=${flagPassword}`], { env });
    expect(JSON.parse(json.stdout)['kafka.ssl.keystore.password']).to.deep.equal({ value: '[redacted]', source: 'flag', origin: '--kafka' });

    const p = startSeda(['run', fixture('relay'), '--config', cfg, '--kafka', `ssl.keystore.password=${flagPassword}`, '--group', `ops-secret-${process.pid}`], { env });
    try {
      await p.waitForLog((l) => l.msg === 'partitions assigned', 30_000, 'assignment');
      await p.waitForLog((l) => l.kafka === 'consumer', 10_000, 'a librdkafka log line routed into pino');
      p.kill('SIGTERM');
      expect((await p.exited(30_000)).code).to.equal(0);
    } finally {
      p.kill('SIGKILL');
    }
    expect(p.logs().find((l) => l.msg === 'configuration')?.config).to.deep.include({ kafka: { 'sasl.password': '[redacted]', 'sasl.username': 'alice', 'ssl.key.password': '[redacted]', 'ssl.keystore.password': '[redacted]' } });
    for (const [what, text] of [['config --print', printed.stdout + printed.stderr], ['config --json', json.stdout + json.stderr], ['run', p.stdout() + p.stderr()]]) {
      for (const secret of [filePassword, envPassword, flagPassword]) expect(text, `${what} shows ${secret}`).to.not.include(secret);
    }
    expect(p.logs().length, 'trace logging ran').to.be.greaterThan(20);
  });
});
