export { type AnnotationHints, combineAnnotations, createAnnotationCorrector } from './annotations.js';
export { followLocalTools } from './follow-local-tools.js';
export {
  Catalog,
  type CatalogChange,
  type CatalogPrompt,
  type CatalogResource,
  type CatalogResourceTemplate,
  type CatalogTool,
  hashDefinition,
  type LocalTool,
  nameSeparator,
  resourceNotFoundError,
  toPublicName,
  type ToolWithholder,
  type VisibleTool
} from './catalog.js';
export type { HeldTool, ToolGate, ToolHold } from './tool-gate.js';
