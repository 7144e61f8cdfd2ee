export {
  type AccessDecision,
  type AccessKind,
  AccessPolicy,
  type AccessTarget,
  promptTarget,
  resourceTarget,
  runTarget,
  toolTarget
} from './access-policy.js';
export { createRulesMiddleware, visibleTool } from './rules-middleware.js';
