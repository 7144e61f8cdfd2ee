// The pipeline's types live in core so that every layer (workflows, discovery, policy) can name a request.
export * from '../core/pipeline.js';
