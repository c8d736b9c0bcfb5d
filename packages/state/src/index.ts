export { openStateStore, type LevelStateStore, type StateStoreOptions } from './store.js';
export { ownerFile, type StateOwner, type StoredPartition } from './layout.js';
export { stateErrorCodes, type StateErrorCode } from './errors.js';
export { ChangelogReplayer, epochHeader, markerOffset, markerRecord, type ChangelogIO, type ChangelogRecord, type ConfirmedChanges, type ReadChangelogRecord } from './changelog.js';
export { syncWithChangelog, type RestoreProgress, type RestoreResult } from './restore.js';
export { startStandby, type StandbyOptions } from './standby.js';
export { partitionTopic, resetPartition, setStoredOffset } from './partition-admin.js';
