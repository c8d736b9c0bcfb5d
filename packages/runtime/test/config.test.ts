import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, resolveRunConfig, type ConfigInput, type ConfigProblem } from '../src/config.js';
import { pinoLevelOf } from '../src/kafka-log.js';
import { isSecretKey, redactValue, secretScrubber } from '../src/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'seda-config-'));
let n = 0;
const file = (text: string): string => {
  const path = join(dir, `c${++n}.json`);
  writeFileSync(path, text);
  return path;
};

/** The problems resolveRunConfig reports for `input` (it must throw). */
function problemsOf(input: ConfigInput): ConfigProblem[] {
  try {
    resolveRunConfig({ env: {}, ...input });
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).code).to.equal('SEDA_RUNTIME_CONFIG');
    return (err as ConfigError).problems;
  }
  throw new Error('expected a configuration error');
}

describe('run configuration', () => {
  const table: Array<{ what: string; input: () => ConfigInput; expected: Pick<ConfigProblem, 'code' | 'key' | 'source'> & { origin?: string } }> = [
    { what: 'an unknown key in the file', input: () => ({ file: file('{"batchsize": 10}') }), expected: { code: 'unknown_key', key: 'batchsize', source: 'file' } },
    { what: 'a wrong type in the file', input: () => ({ file: file('{"batchSize": "ten"}') }), expected: { code: 'wrong_type', key: 'batchSize', source: 'file' } },
    { what: 'a fraction for a whole number', input: () => ({ file: file('{"commitIntervalMs": 1.5}') }), expected: { code: 'wrong_type', key: 'commitIntervalMs', source: 'file' } },
    { what: 'a map that is not an object', input: () => ({ file: file('{"kafka": ["linger.ms=5"]}') }), expected: { code: 'wrong_type', key: 'kafka', source: 'file' } },
    { what: 'a wrong type of a flag', input: () => ({ flags: { batchSize: 'many' } }), expected: { code: 'wrong_type', key: 'batchSize', source: 'flag', origin: '--batch-size' } },
    { what: 'an out-of-range flag', input: () => ({ flags: { metricsPort: '70000' } }), expected: { code: 'out_of_range', key: 'metricsPort', source: 'flag', origin: '--metrics-port' } },
    { what: 'an out-of-range file value', input: () => ({ file: file('{"instances": 0}') }), expected: { code: 'out_of_range', key: 'instances', source: 'file' } },
    { what: 'a bad environment value', input: () => ({ env: { SEDA_COMMIT_INTERVAL_MS: 'soon' } }), expected: { code: 'wrong_type', key: 'commitIntervalMs', source: 'env', origin: 'SEDA_COMMIT_INTERVAL_MS' } },
    { what: 'an environment value out of range', input: () => ({ env: { SEDA_BATCH_SIZE: '0' } }), expected: { code: 'out_of_range', key: 'batchSize', source: 'env', origin: 'SEDA_BATCH_SIZE' } },
    { what: 'an unknown mode', input: () => ({ env: { SEDA_MODE: 'fast' } }), expected: { code: 'bad_value', key: 'mode', source: 'env' } },
    { what: 'an unreadable file', input: () => ({ file: join(dir, 'missing.json') }), expected: { code: 'unreadable_file', key: '', source: 'file' } },
    { what: 'a file that is not JSON', input: () => ({ file: file('{"batchSize": 10,}') }), expected: { code: 'bad_json', key: '', source: 'file' } },
    { what: 'a JSON file that is not an object', input: () => ({ file: file('[1, 2]') }), expected: { code: 'wrong_type', key: '', source: 'file' } },
    { what: 'a --kafka flag that is not key=value', input: () => ({ flags: { kafka: ['linger.ms'] } }), expected: { code: 'bad_value', key: 'kafka', source: 'flag' } },
    { what: 'an unknown librdkafka property', input: () => ({ flags: { kafka: ['linger.msec=5'] } }), expected: { code: 'unknown_key', key: 'kafka.linger.msec', source: 'flag' } },
    {
      what: 'a value librdkafka refuses, from the environment',
      input: () => ({ env: { SEDA_KAFKA_SECURITY_PROTOCOL: 'carrier-pigeon' } }),
      expected: { code: 'bad_value', key: 'kafka.security.protocol', source: 'env', origin: 'SEDA_KAFKA_SECURITY_PROTOCOL' },
    },
    { what: 'metrics ports of N instances beyond 65535', input: () => ({ flags: { metricsPort: '65535', instances: '2' } }), expected: { code: 'out_of_range', key: 'metricsPort', source: 'flag' } },
  ];
  for (const { what, input, expected } of table) {
    it(`rejects ${what} with code ${expected.code}`, () => {
      const problems = problemsOf(input());
      expect(problems).to.have.lengthOf(1);
      expect(problems[0]).to.include(expected);
    });
  }

  it('lists every problem of every layer at once, each with its key and origin', () => {
    const problems = problemsOf({
      file: file('{"batchSize": "x", "colour": "blue"}'),
      env: { SEDA_REVOKE_TIMEOUT_MS: '1' },
      flags: { metricsPort: '-1', kafka: ['no.such.thing=1'] },
    });
    expect(problems.map((p) => `${p.source}:${p.key}:${p.code}`).sort()).to.deep.equal([
      'env:revokeTimeoutMs:out_of_range',
      'file:batchSize:wrong_type',
      'file:colour:unknown_key',
      'flag:kafka.no.such.thing:unknown_key',
      'flag:metricsPort:out_of_range',
    ]);
  });

  it('takes flags over SEDA_* environment over the file over defaults, and says where each value came from', () => {
    const path = file('{"batchSize": 10, "commitIntervalMs": 50, "group": "from-file", "kafka": {"linger.ms": 7, "acks": "all"}}');
    const { values, sources } = resolveRunConfig({
      file: path,
      env: { SEDA_COMMIT_INTERVAL_MS: '60', SEDA_GROUP: 'from-env', SEDA_KAFKA_LINGER_MS: '8', SEDA_BROKERS: '' },
      flags: { group: 'from-flag', kafka: ['acks=1'], fromBeginning: true },
    });
    expect(values).to.include({ batchSize: 10, commitIntervalMs: 60, group: 'from-flag', fromBeginning: true, shutdownTimeoutMs: 30_000 });
    expect(values.kafka).to.deep.equal({ 'linger.ms': 8, acks: 1 });
    expect(values.brokers, 'an empty variable is unset').to.equal(undefined);
    expect(sources.batchSize).to.deep.equal({ source: 'file', origin: path });
    expect(sources.commitIntervalMs).to.deep.equal({ source: 'env', origin: 'SEDA_COMMIT_INTERVAL_MS' });
    expect(sources.group).to.deep.equal({ source: 'flag', origin: '--group' });
    expect(sources['kafka.linger.ms']).to.deep.equal({ source: 'env', origin: 'SEDA_KAFKA_LINGER_MS' });
    expect(sources['kafka.acks']).to.deep.equal({ source: 'flag', origin: '--kafka' });
    expect(sources.shutdownTimeoutMs).to.deep.equal({ source: 'default', origin: 'default' });
  });

  it('never quotes a secret in a problem', () => {
    const secret = 'hunter2-very-secret';
    const problems = problemsOf({ file: file(`{"kafka": {"sasl.password": {"v": "${secret}"}}, "x": "${secret}"}`), flags: { kafka: [`sasl.password${secret}`] } });
    expect(problems.length).to.be.greaterThan(1);
    expect(JSON.stringify(problems)).to.not.include(secret);
    const json = problemsOf({ file: file(`{"kafka": {"sasl.password": ${secret}}}`) });
    expect(JSON.stringify(json)).to.not.include('very-secret');
  });
});

describe('secrets', () => {
  it('knows secret keys by name', () => {
    for (const k of ['sasl.password', 'ssl.key.password', 'ssl.key.pem', 'sasl.oauthbearer.client.secret', 'apiToken', 'db_password']) expect(isSecretKey(k), k).to.equal(true);
    for (const k of ['security.protocol', 'sasl.username', 'ssl.ca.location', 'batchSize']) expect(isSecretKey(k), k).to.equal(false);
  });

  it('redacts secret values deeply and scrubs them from any text', () => {
    expect(redactValue({ kafka: { 'sasl.password': 'p', 'sasl.username': 'u' } })).to.deep.equal({ kafka: { 'sasl.password': '[redacted]', 'sasl.username': 'u' } });
    const scrub = secretScrubber(['pa"ss', 'abc']);
    expect(scrub('x abc y {"m":"pa\\"ss"} pa"ss')).to.equal('x [redacted] y {"m":"[redacted]"} [redacted]');
  });
});

describe('librdkafka log levels', () => {
  it('maps syslog severities to pino levels', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(pinoLevelOf)).to.deep.equal(['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug']);
  });
});

describe('configuration docs', () => {
  it('the configuration table of docs/operations.md lists every key with its flag and variable', async () => {
    const { readFileSync } = await import('node:fs');
    const { runConfigFields } = await import('../src/config.js');
    const readme = readFileSync(new URL('../../../../docs/operations.md', import.meta.url), 'utf8');
    for (const f of runConfigFields) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${f.key}\` |`));
      expect(row, f.key).to.be.a('string');
      expect(row).to.include(`\`${f.flag.split(' ')[0]}`).and.to.include(f.env === 'SEDA_KAFKA_' ? 'SEDA_KAFKA_<PROPERTY>' : `\`${f.env}\``);
    }
  });
});
