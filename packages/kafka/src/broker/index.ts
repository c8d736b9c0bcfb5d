export { startBroker, EmbeddedBroker, mockRetentionBytesPerPartition, type StartBrokerOptions } from './embedded-broker.js';
export { serveControl, brokerControl, type ControlServer, type BrokerControl } from './control.js';
export { apiKeys, errorCodes, apiKeyOf, type ApiName } from './apis.js';
export { brokerInfoTopic, findBrokerControl, findEmbeddedBroker, readBrokerAnnouncement, writeBrokerAnnouncement, type BrokerAnnouncement } from './discovery.js';
export { embeddedGroupDefaults, embeddedGroupProperties } from './group-defaults.js';
