export { runStage, type RunOptions, type RunningStage } from './run-stage.js';
export { loadStage, loadPlugin, asStage, asPlugin, builtinStagesDir } from './load-stage.js';
export { runSource, type RunSourceOptions, type RunningSource, type SourceResult } from './run-source.js';
export { checkTopics } from './topics.js';
export { runtimeErrorCodes, type RuntimeErrorCode } from './errors.js';
