/** Kafka protocol API keys by name, for request error injection. */
export const apiKeys = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  InitProducerId: 22,
} as const;

/** An API key name. */
export type ApiName = keyof typeof apiKeys;

/** Kafka error codes commonly injected in tests, by name. */
export const errorCodes = {
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  REBALANCE_IN_PROGRESS: 27,
  TRANSPORT: -195,
} as const;

/** Resolves an API given by name or number. */
export function apiKeyOf(api: ApiName | number): number {
  if (typeof api === 'number') return api;
  const key = apiKeys[api];
  if (key === undefined) throw new TypeError(`unknown Kafka API "${String(api)}"; use one of ${Object.keys(apiKeys).join(', ')} or a number`);
  return key;
}
