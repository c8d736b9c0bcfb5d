import { expect } from 'chai';
import { SedaError } from '../src/index.js';
import type { Logger } from '../src/logger.js';
import { backoffDelay, withRetry, type AttemptContext } from '../src/retry.js';

interface Line {
  fields: Record<string, unknown>;
  msg: string;
}

/** A context that records what the wrapper does to it. */
function context(): AttemptContext & { undone: number; lines: Line[] } {
  const lines: Line[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (fields: object, msg?: string) => lines.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' }),
    error: () => {},
    child: () => log,
  } as unknown as Logger;
  const ctx = {
    log,
    offset: 42,
    undone: 0,
    lines,
    undoAttempt() {
      ctx.undone++;
    },
  };
  return ctx;
}

const policy = { attempts: 4, backoffMs: 100, maxBackoffMs: 250 };

describe('withRetry', () => {
  it('stays synchronous when the first attempt succeeds synchronously', () => {
    let calls = 0;
    const step = withRetry(() => void calls++, policy, { counters: { retries: 0 } });
    const ctx = context();
    expect(step('r', ctx)).to.equal(undefined);
    expect(calls).to.equal(1);
    expect(ctx.undone).to.equal(0);
  });

  it('retries a failure with doubling, capped waits, undoing and logging each failed attempt, until one succeeds', async () => {
    const waits: number[] = [];
    const counters = { retries: 0 };
    let calls = 0;
    const step = withRetry(
      (record: string) => {
        calls++;
        if (calls < 4) throw new Error(`fail ${calls} of ${record}`);
      },
      policy,
      { counters, sleep: async (ms) => void waits.push(ms) },
    );
    const ctx = context();
    await step('r', ctx);
    expect(calls).to.equal(4);
    expect(waits).to.deep.equal([100, 200, 250]);
    expect(counters.retries).to.equal(3);
    expect(ctx.undone).to.equal(3);
    expect(ctx.lines.map((l) => [l.msg, l.fields.offset, l.fields.attempt, (l.fields.err as Error).message])).to.deep.equal([
      ['process failed; retrying', 42, 1, 'fail 1 of r'],
      ['process failed; retrying', 42, 2, 'fail 2 of r'],
      ['process failed; retrying', 42, 3, 'fail 3 of r'],
    ]);
  });

  it('rejects with the last error after `attempts` in all, leaving the last attempt for the caller to undo', async () => {
    const counters = { retries: 0 };
    let calls = 0;
    const step = withRetry(
      async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      policy,
      { counters, sleep: async () => {} },
    );
    const ctx = context();
    let caught: unknown;
    await Promise.resolve(step('r', ctx)).catch((e: unknown) => (caught = e));
    expect((caught as Error).message).to.equal('fail 4');
    expect(calls).to.equal(4);
    expect(counters.retries).to.equal(3);
    expect(ctx.undone).to.equal(3);
  });

  it('gives up at once, synchronously, on a SedaError that cannot be retried', () => {
    const counters = { retries: 0 };
    const err = new SedaError('SEDA_STAGE_PROCESS', 'bad record');
    const step = withRetry(
      () => {
        throw err;
      },
      policy,
      { counters },
    );
    const ctx = context();
    expect(() => step('r', ctx)).to.throw(err);
    expect(counters.retries).to.equal(0);
    expect(ctx.lines).to.have.lengthOf(0);
  });

  it('stops retrying when a later attempt fails with an error that cannot be retried', async () => {
    const counters = { retries: 0 };
    let calls = 0;
    const final = new SedaError('SEDA_STAGE_PROCESS', 'now it is bad', { canRetry: false });
    const step = withRetry(
      () => {
        calls++;
        throw calls === 1 ? new SedaError('SEDA_STAGE_PROCESS', 'busy', { canRetry: true }) : final;
      },
      policy,
      { counters, sleep: async () => {} },
    );
    let caught: unknown;
    await Promise.resolve(step('r', context())).catch((e: unknown) => (caught = e));
    expect(caught).to.equal(final);
    expect(calls).to.equal(2);
    expect(counters.retries).to.equal(1);
  });

  it('with one attempt, fails a rejected first attempt without waiting', async () => {
    const counters = { retries: 0 };
    let slept = false;
    const step = withRetry(() => Promise.reject(new Error('no')), { attempts: 1, backoffMs: 0, maxBackoffMs: 0 }, { counters, sleep: async () => void (slept = true) });
    let caught: unknown;
    await Promise.resolve(step('r', context())).catch((e: unknown) => (caught = e));
    expect((caught as Error).message).to.equal('no');
    expect(slept).to.equal(false);
    expect(counters.retries).to.equal(0);
  });

  it('computes the backoff as doubling from backoffMs, at most maxBackoffMs', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay({ attempts: 9, backoffMs: 100, maxBackoffMs: 1000 }, a))).to.deep.equal([100, 200, 400, 800, 1000]);
  });
});
