export { openStateStore, ownerFile, type LevelStateStore, type StateOwner, type StateStoreOptions, type StoredPartition } from './store.js';
export { stateErrorCodes, type StateErrorCode } from './errors.js';
export { ChangelogReplayer, epochHeader, markerOffset, markerRecord, type ChangelogIO, type ChangelogRecord, type ConfirmedChanges, type ReadChangelogRecord } from './changelog.js';
export { syncWithChangelog, type RestoreProgress, type RestoreResult } from './restore.js';
export { startStandby, type StandbyOptions } from './standby.js';
