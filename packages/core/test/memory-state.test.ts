import { createMemoryState, stateProviderContract } from '../src/index.js';

describe('in-memory state', () => {
  stateProviderContract({ describe, it, factory: async () => createMemoryState() });
});
