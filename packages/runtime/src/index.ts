export { runStage, type RunOptions, type RunningStage } from './run-stage.js';
export { loadStage, asStage, builtinStagesDir } from './load-stage.js';
export { checkTopics } from './topics.js';
export { runtimeErrorCodes, type RuntimeErrorCode } from './errors.js';
export { describeHop, describeChain, type Hop } from './chain.js';
