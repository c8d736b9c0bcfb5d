import { expect } from 'chai';
import { deadLetterHeaders, NULL_KEY_OFFSET_BLOCK } from '../src/index.js';
import { sendDeadLetter, withDeadLetter, type DeadLetterContext, type DeadLetterTarget } from '../src/dead-lettering.js';
import { lineageHeader } from '../src/lineage.js';
import type { Logger } from '../src/logger.js';
import type { OutputBatch, RawRecord } from '../src/record.js';

function batch(): OutputBatch {
  return { topic: 'in', partition: 1, nextOffset: 0, inputCount: 1, messages: [], deadLetters: 0 } as unknown as OutputBatch;
}

function raw(over: Partial<RawRecord> = {}): RawRecord {
  return { topic: 'in', partition: 1, offset: 7, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1000, headers: [], ...over } as RawRecord;
}

function context(r: RawRecord, out = batch()): DeadLetterContext & { lines: string[]; out: OutputBatch; mark: number } {
  const lines: string[] = [];
  const log = { warn: (_f: object, msg?: string) => lines.push(msg ?? ''), child: () => log } as unknown as Logger;
  return { raw: r, out, mark: 0, lineagePrefix: 'g/in:1:', log, lines };
}

const header = (m: { headers?: { [k: string]: unknown }[] }, name: string): unknown => m.headers?.find((h) => name in h)?.[name];

describe('dead-lettering', () => {
  const target = (over: Partial<DeadLetterTarget> = {}): DeadLetterTarget => ({ stage: 's', topic: 'in.dlq', partitions: 0, maxMessageBytes: undefined, counters: { deadLetters: 0 }, ...over });

  it('sendDeadLetter appends the input as a dead letter with provenance and its own lineage, counted and logged', () => {
    const t = target();
    const ctx = context(raw());
    ctx.out.messages.push({ topic: 'out', key: null, value: null });
    ctx.mark = 1;
    sendDeadLetter(t, ctx, Object.assign(new Error('boom'), { code: 'E_X' }));
    const dl = ctx.out.messages[1];
    expect(dl.topic).to.equal('in.dlq');
    expect(String(dl.value)).to.equal('v');
    expect(header(dl, deadLetterHeaders.error)).to.equal('boom');
    expect(header(dl, deadLetterHeaders.code)).to.equal('E_X');
    expect(header(dl, deadLetterHeaders.offset)).to.equal('7');
    expect(header(dl, lineageHeader)).to.equal('g/in:1:7:0');
    expect(dl.partition).to.equal(undefined);
    expect(ctx.out.deadLetters).to.equal(1);
    expect(t.counters.deadLetters).to.equal(1);
    expect(ctx.lines).to.deep.equal(['record sent to dead-letter topic']);
  });

  it('sendDeadLetter drops a value the producer would refuse and places a null-key dead letter by its input position', () => {
    const ctx = context(raw({ key: null, offset: 3 * NULL_KEY_OFFSET_BLOCK, value: Buffer.alloc(2000) }));
    sendDeadLetter(target({ partitions: 4, maxMessageBytes: 1000 }), ctx, new Error('big'));
    const dl = ctx.out.messages[0];
    expect(dl.value).to.equal(null);
    expect(header(dl, deadLetterHeaders.valueDropped)).to.equal('2000');
    expect(dl.partition).to.equal((1 + 3) % 4);
  });

  it('withDeadLetter stays synchronous on success and on a synchronous failure, undoing the attempt before the dead letter', () => {
    const events: string[] = [];
    const ctx = { undoAttempt: () => events.push('undo') };
    const ok = withDeadLetter(() => void events.push('ok'), () => events.push('dead'));
    expect(ok('r', ctx)).to.equal(undefined);
    const failing = withDeadLetter(
      () => {
        events.push('try');
        throw new Error('x');
      },
      (_c, err) => events.push(`dead ${(err as Error).message}`),
    );
    expect(failing('r', ctx)).to.equal(undefined);
    expect(events).to.deep.equal(['ok', 'try', 'undo', 'dead x']);
  });

  it('withDeadLetter turns a rejection into a dead letter and resolves', async () => {
    const events: string[] = [];
    const ctx = { undoAttempt: () => events.push('undo') };
    const step = withDeadLetter(
      () => Promise.reject(new Error('late')),
      (_c, err) => events.push(`dead ${(err as Error).message}`),
    );
    const pending = step('r', ctx);
    expect(pending).to.be.instanceOf(Promise);
    await pending;
    expect(events).to.deep.equal(['undo', 'dead late']);
  });

  it('withDeadLetter lets a resolved async step through without a dead letter', async () => {
    let dead = 0;
    await withDeadLetter(async () => {}, () => dead++)('r', { undoAttempt: () => {} });
    expect(dead).to.equal(0);
  });
});
