export { serveUi, type UiOptions, type UiServer } from './server.js';
export { Pipeline, statusRules, type DeclaredStage, type PipelineSnapshot, type PipelineNode, type PipelineEdge, type EdgeStatus } from './pipeline.js';
export { GroupOffsets } from './group-offsets.js';
export { scrape, sumSeries, type Scraped } from './scrape.js';
export { uiErrorCodes, type UiErrorCode } from './errors.js';
