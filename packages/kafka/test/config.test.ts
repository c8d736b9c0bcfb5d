import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { belongsElsewhere, parseKafkaProperties, resolveBrokers, splitKafkaProperties } from '../src/config.js';

describe('broker resolution', () => {
  const cwdWithFile = (): string => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-cfg-'));
    mkdirSync(join(cwd, '.seda'));
    writeFileSync(join(cwd, '.seda', 'broker.json'), JSON.stringify({ bootstrap: 'file:9092', control: 'http://127.0.0.1:1' }));
    return cwd;
  };

  it('prefers --brokers, then SEDA_BROKERS, then .seda/broker.json', () => {
    const cwd = cwdWithFile();
    expect(resolveBrokers({ brokers: 'flag:9092', cwd, env: { SEDA_BROKERS: 'env:9092' } })).to.equal('flag:9092');
    expect(resolveBrokers({ cwd, env: { SEDA_BROKERS: 'env:9092' } })).to.equal('env:9092');
    expect(resolveBrokers({ cwd, env: {} })).to.equal('file:9092');
  });

  it('fails with SEDA_KAFKA_NO_BROKER and says what to do when none is found', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-cfg-'));
    expect(() => resolveBrokers({ cwd, env: {} }))
      .to.throw('no Kafka broker: pass --brokers host:port, set SEDA_BROKERS, or start one with `seda broker`')
      .with.property('code', 'SEDA_KAFKA_NO_BROKER');
  });

  it('names a broken .seda/broker.json', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-cfg-'));
    mkdirSync(join(cwd, '.seda'));
    writeFileSync(join(cwd, '.seda', 'broker.json'), '{"bootstrap": ');
    expect(() => resolveBrokers({ cwd, env: {} })).to.throw(/broker\.json is not valid JSON/).with.property('code', 'SEDA_KAFKA_CONFIG');
  });
});

describe('--kafka properties', () => {
  it('types numbers and booleans and keeps strings', () => {
    expect(parseKafkaProperties(['linger.ms=5', 'enable.idempotence=false', 'compression.type=lz4', 'sasl.password=a=b'])).to.deep.equal({
      'linger.ms': 5,
      'enable.idempotence': false,
      'compression.type': 'lz4',
      'sasl.password': 'a=b',
    });
  });

  for (const bad of ['linger.ms', '=5', '']) {
    it(`rejects "${bad}" with SEDA_KAFKA_CONFIG`, () => {
      expect(() => parseKafkaProperties([bad])).to.throw(/is not key=value/).with.property('code', 'SEDA_KAFKA_CONFIG');
    });
  }

  it('sends topic-level properties to the topic config, where node-rdkafka reads them (in the global config they would be dropped)', () => {
    const { global, topic } = splitKafkaProperties(
      parseKafkaProperties(['acks=1', 'partitioner=consistent_random', 'auto.offset.reset=earliest', 'message.timeout.ms=5000', 'linger.ms=5', 'compression.type=lz4']),
    );
    expect(topic).to.deep.equal({ acks: 1, partitioner: 'consistent_random', 'auto.offset.reset': 'earliest', 'message.timeout.ms': 5000 });
    expect(global).to.deep.equal({ 'linger.ms': 5, 'compression.type': 'lz4' });
  });
});

describe('properties per client', () => {
  const given = { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'linger.ms': 5, 'enable.idempotence': true, 'auto.offset.reset': 'earliest', acks: 'all', 'client.id': 'x', 'no.such.property': 1 };

  it('gives a consumer no producer-only property, a producer no consumer-only one, an admin client neither', () => {
    const consumer = splitKafkaProperties(given, 'consumer');
    expect(consumer.global).to.deep.equal({ 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'client.id': 'x', 'no.such.property': 1 });
    expect(consumer.topic).to.deep.equal({ 'auto.offset.reset': 'earliest' });
    const producer = splitKafkaProperties(given, 'producer');
    expect(producer.global).to.deep.equal({ 'linger.ms': 5, 'enable.idempotence': true, 'client.id': 'x', 'no.such.property': 1 });
    expect(producer.topic).to.deep.equal({ acks: 'all' });
    expect(splitKafkaProperties(given, 'admin').global).to.deep.equal({ 'client.id': 'x', 'no.such.property': 1 });
  });

  it('keeps unknown properties for every client, so they still fail where the client is made', () => {
    for (const client of ['consumer', 'producer', 'admin'] as const) expect(belongsElsewhere('no.such.property', client)).to.equal(false);
  });

  it('is the table scripts/generate-client-properties.mjs writes from the installed librdkafka', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-props-'));
    const script = fileURLToPath(new URL('../../../../scripts/generate-client-properties.mjs', import.meta.url));
    const committed = readFileSync(fileURLToPath(new URL('../../src/client-properties.ts', import.meta.url)), 'utf8');
    execFileSync(process.execPath, [script, join(dir, 'client-properties.ts')]);
    expect(readFileSync(join(dir, 'client-properties.ts'), 'utf8')).to.equal(committed);
  });
});
