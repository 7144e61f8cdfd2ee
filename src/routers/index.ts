export {
  classifyRequest,
  prefilterRoutes,
  type RouteCandidate,
  type RouteDecision,
  type RouteText
} from './classify-request.js';
export { type RouterFailure, RouterRunner, type RouterRunnerOptions, routerSource } from './router-runner.js';
export { routerResumer } from './resume-router-run.js';
