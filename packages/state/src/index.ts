export { openStateStore, type LevelStateStore, type StateStoreOptions, type StoredPartition } from './store.js';
export { stateErrorCodes, type StateErrorCode } from './errors.js';
