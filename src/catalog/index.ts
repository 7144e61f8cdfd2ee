export {
  Catalog,
  type CatalogChange,
  type CatalogPrompt,
  type CatalogResource,
  type CatalogResourceTemplate,
  type CatalogTool,
  hashDefinition,
  nameSeparator,
  toPublicName
} from './catalog.js';
