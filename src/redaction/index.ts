export {
  defaultRules,
  highEntropy,
  luhnValid,
  markerOf,
  type RedactionRule,
  type RuleConfidence,
  shannonEntropy
} from './redaction-rules.js';
export {
  defaultRedactor,
  isSecretName,
  redactionFailedMarker,
  Redactor,
  safeRedactText,
  safeRedactValue
} from './redactor.js';
export { createRedactionMiddleware, type RedactionStageOptions, type RedactModes } from './redaction-stage.js';
