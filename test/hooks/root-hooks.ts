import { startTestBroker, stopTestBroker } from '../support/broker.js';

/** One embedded broker for the whole run; every test uses its own topics. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await startTestBroker();
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(15_000);
    await stopTestBroker();
  },
};
