export { CatalogView, type CatalogViewOptions, type ViewTool } from './catalog-view.js';
export { type Embedder } from './embedder.js';
export { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './embeddings/openai-embedder.js';
export { embeddingText, HybridToolSearch, type HybridSearchOptions } from './hybrid-search.js';
export { fuseRankings, VectorIndex } from './vector-index.js';
export { countTextTokens, countToolListTokens, countToolTokens, tokenEncoding } from './count-tokens.js';
export {
  type EvalQuery,
  type EvalTool,
  evaluateRetrieval,
  parseEvalQueries,
  parseEvalTools,
  percentile,
  plainBm25Retriever,
  readJsonLines,
  type RetrievalReport,
  type Retriever,
  toSearchableTools
} from './evaluate-retrieval.js';
export {
  callToolName,
  defaultRetrieveLimit,
  maxRetrieveLimit,
  metaToolDefinitions,
  metaToolInstructions,
  metaToolNames,
  retrieveToolsName
} from './meta-tools.js';
export { RoutedSelections, routeToolName, type ViewRouter } from './routed-selections.js';
export { type FieldOptions, type QueryTerm, type ScoredId, SearchIndex, topK } from './search-index.js';
export { createSynonymTable, defaultSynonyms, synonymGroups, type SynonymTable } from './synonyms.js';
export { parameterText, type SearchableTool, type ToolField, toolFieldText } from './tool-document.js';
export {
  defaultFields,
  type IndexField,
  ToolIndex,
  type ToolIndexOptions,
  type ToolMatch,
  type ToolSearchOptions
} from './tool-index.js';
export { isStopWord, splitWords, stem, tokenize } from './tokenize.js';
