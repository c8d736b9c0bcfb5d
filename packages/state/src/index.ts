export { openStateStore, ownerFile, type LevelStateStore, type StateOwner, type StateStoreOptions, type StoredPartition } from './store.js';
export { stateErrorCodes, type StateErrorCode } from './errors.js';
