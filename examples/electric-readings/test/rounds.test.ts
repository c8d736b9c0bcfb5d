import { expect } from 'chai';
import { inRounds, random } from '../src/rounds.js';
import { Interrupted } from '../src/wait.js';

/** The first `n` items inRounds hands out for `seed`. */
async function sequence(items: string[], seed: number, n: number): Promise<string[]> {
  const seen: string[] = [];
  await inRounds(items, 1, random(seed), { signal: new AbortController().signal, done: () => seen.length >= n }, (item) => void seen.push(item));
  return seen;
}

describe('inRounds (the schedule of --kill-random and --chaos)', () => {
  it('hands out every item once per round, in a seeded order that --seed reproduces', async () => {
    const items = ['audit', 'billing', 'consumption-average', 'alerts', 'x', 'y', 'z'];
    const a = await sequence(items, 42, 21);
    expect(a).to.have.length(21);
    for (let r = 0; r < 3; r++) expect([...a.slice(r * 7, r * 7 + 7)].sort(), `round ${r}`).to.deep.equal([...items].sort());
    expect(await sequence(items, 42, 21)).to.deep.equal(a);
    expect(await sequence(items, 43, 21)).to.not.deep.equal(a);
  });

  it('stops at done() before acting again, and rejects with Interrupted on abort', async () => {
    let acted = 0;
    await inRounds(['a'], 1, random(1), { signal: new AbortController().signal, done: () => acted >= 1 }, () => void acted++);
    expect(acted).to.equal(1);
    const abort = new AbortController();
    const run = inRounds(['a'], 60_000, random(1), { signal: abort.signal, done: () => false }, () => void acted++);
    abort.abort();
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Interrupted);
    expect(acted).to.equal(1);
  });
});
