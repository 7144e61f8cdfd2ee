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
export { checkRules, createRulesMiddleware, visibleTool } from './rules-middleware.js';
