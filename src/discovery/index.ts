export { CatalogView, type CatalogViewOptions, type ViewTool } from './catalog-view.js';
export { countTextTokens, countToolListTokens, countToolTokens, tokenEncoding } from './count-tokens.js';
export {
  type EvalQuery,
  type EvalTool,
  evaluateRetrieval,
  parseEvalQueries,
  parseEvalTools,
  percentile,
  readJsonLines,
  type RetrievalReport,
  type Retriever,
  toSearchableTools
} from './evaluate-retrieval.js';
export { callToolName, defaultRetrieveLimit, maxRetrieveLimit, metaToolDefinitions, metaToolNames, retrieveToolsName } from './meta-tools.js';
export { type FieldOptions, type QueryTerm, type ScoredId, SearchIndex, topK } from './search-index.js';
export { createSynonymTable, defaultSynonyms, type SynonymTable } from './synonyms.js';
export { parameterText, type SearchableTool, type ToolField, toolFieldText } from './tool-document.js';
export { defaultFields, ToolIndex, type ToolIndexOptions, type ToolMatch, type ToolSearchOptions } from './tool-index.js';
export { isStopWord, splitWords, stem, tokenize } from './tokenize.js';
