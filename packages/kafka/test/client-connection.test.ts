import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { connectClient, disconnectClient, type ConnectableClient } from '../src/client-connection.js';

/** A client that records the calls made to it and answers disconnect only when `answers`. */
function fakeClient(answers: boolean) {
  const calls: unknown[][] = [];
  return {
    calls,
    setPollInterval(ms: number) {
      calls.push(['setPollInterval', ms]);
    },
    disconnect(...args: unknown[]) {
      calls.push(['disconnect', ...args.filter((a) => typeof a !== 'function')]);
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      if (answers) setImmediate(() => cb?.());
    },
  };
}

describe('connectClient / disconnectClient', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  before(async () => {
    // Accepts connections and never speaks Kafka: librdkafka's connect must give up at its timeout.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  it('rejects a real consumer that cannot reach Kafka with the error the caller names', async () => {
    const c = new Kafka.KafkaConsumer({ 'bootstrap.servers': `127.0.0.1:${port}`, 'group.id': 'connect-helper-test', 'socket.timeout.ms': 1000 }, {});
    let caught: unknown;
    try {
      await connectClient(c, 1000, (err) => new SedaError('SEDA_KAFKA_CONNECT', `cannot reach Kafka (${err.message})`, { cause: err, canRetry: true }));
    } catch (err) {
      caught = err;
    } finally {
      await disconnectClient(c, { timeoutMs: 5000 });
    }
    expect(caught).to.be.instanceOf(SedaError);
    expect((caught as SedaError).code).to.equal('SEDA_KAFKA_CONNECT');
    expect((caught as SedaError).cause).to.be.instanceOf(Error);
  });

  it("rejects with librdkafka's own error when the caller names none", async () => {
    const failing: ConnectableClient = { connect: (_o, cb) => setImmediate(() => cb(new Error('Local: Broker transport failure') as unknown as Kafka.LibrdKafkaError)) };
    let caught: unknown;
    await connectClient(failing, 50).catch((err: unknown) => (caught = err));
    expect((caught as Error).message).to.equal('Local: Broker transport failure');
  });

  it('passes the timeout to librdkafka and resolves once connected', async () => {
    let timeout: number | undefined;
    const ok: ConnectableClient = { connect: (o, cb) => ((timeout = o.timeout), setImmediate(() => cb(null as unknown as Kafka.LibrdKafkaError))) };
    await connectClient(ok, 1234);
    expect(timeout).to.equal(1234);
  });

  it("stops a producer's poll timer before disconnecting, and resolves true once the client confirmed", async () => {
    const c = fakeClient(true);
    expect(await disconnectClient(c)).to.equal(true);
    expect(c.calls).to.deep.equal([['setPollInterval', 0], ['disconnect']]);
  });

  it('hands a producer its flush time', async () => {
    const c = fakeClient(true);
    expect(await disconnectClient(c, { flushMs: 7000 })).to.equal(true);
    expect(c.calls).to.deep.equal([['setPollInterval', 0], ['disconnect', 7000]]);
  });

  it('resolves false, not never, when the client does not confirm within the bound', async () => {
    const c = fakeClient(false);
    expect(await disconnectClient(c, { timeoutMs: 20 })).to.equal(false);
  });
});
