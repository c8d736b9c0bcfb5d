import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDemo } from '../src/commands/demo.js';

const failure = (p: Promise<unknown>): Promise<{ code?: string; message: string } | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message: string },
  );

describe('seda demo: loading the demo package', () => {
  it('loads @seda/example-electric-readings, which has the entry point the command calls', async () => {
    const demo = await loadDemo();
    expect(demo.runDemoCli).to.be.a('function');
  });

  it('fails with SEDA_DEMO_UNAVAILABLE, naming the package to install, when it is not installed', async () => {
    const err = await failure(loadDemo('@seda/example-not-installed'));
    expect(err?.code).to.equal('SEDA_DEMO_UNAVAILABLE');
    expect(err?.message).to.contain('npm install @seda/example-not-installed');
  });

  it('passes on any other failure to load it as it is: a dependency of the package missing is not "install the package"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-demo-load-'));
    try {
      const file = join(dir, 'demo.mjs');
      writeFileSync(file, "import '@seda/no-such-dependency';\nexport function runDemoCli() {}\n");
      const err = await failure(loadDemo(pathToFileURL(file).href));
      expect(err?.code).to.equal('ERR_MODULE_NOT_FOUND');
      expect(err?.message).to.contain('@seda/no-such-dependency');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
