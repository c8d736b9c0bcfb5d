export { startBroker, EmbeddedBroker, mockRetentionBytesPerPartition, type StartBrokerOptions } from './embedded-broker.js';
export { serveControl, brokerControl, type ControlServer, type BrokerControl } from './control.js';
export { apiKeys, errorCodes, apiKeyOf, type ApiName } from './apis.js';
