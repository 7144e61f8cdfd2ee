import * as z from 'zod/v4';

import { generateJson, type JsonCallUsage, type ModelBackend } from '../agents/index.js';
import type { RouterConfig } from '../config/index.js';
import type { DownstreamContext } from '../core/pipeline.js';
import { type SearchableTool, ToolIndex } from '../discovery/index.js';

/** One ranked route, as the model (or BM25) judged it. */
export interface RouteCandidate {
  route: string;
  /** 0-1. */
  confidence: number;
  reasoning: string;
}

/** How a router decided. */
export interface RouteDecision {
  /** The ranked candidates, best first (at most `topK`). */
  candidates: RouteCandidate[];
  decidedBy: 'model' | 'bm25';
  /** The model calls made (none when BM25 decided). */
  calls: JsonCallUsage[];
  /** BM25 scores of the routes, best first, when the prefilter ran. */
  bm25?: Array<{ route: string; score: number }>;
}

/** What the classifier and the prefilter read about each route. */
export interface RouteText {
  route: string;
  /** `server github`, `agent librarian`, `workflow report`. */
  target: string;
  description: string;
}

const candidateSchema = z.object({
  route: z.string().describe('the name of one declared route'),
  confidence: z.number().min(0).max(1).describe('how sure you are that this route fits, from 0 to 1'),
  reasoning: z.string().describe('one sentence: why this route')
});

/**
 * BM25 over the routes' text (name, target, description): the best route when it scores above zero and at least
 * `prefilterMargin` times the second best (or the second scores nothing), else undefined (the model decides).
 * A route's confidence is its score against its strongest rival's, `score / (score + rival)`: with margin m the
 * chosen route's is at least m / (m + 1).
 */
export function prefilterRoutes(
  router: RouterConfig,
  texts: readonly RouteText[],
  request: string
): { decision?: RouteDecision; scores: Array<{ route: string; score: number }> } {
  const index = new ToolIndex();
  for (const text of texts) index.upsert(toSearchable(text));
  const matches = index.search(request, { limit: texts.length });
  const scores = texts
    .map(text => ({ route: text.route, score: matches.find(match => match.tool.name === text.route)?.score ?? 0 }))
    .sort((left, right) => right.score - left.score);
  const [best, second] = scores;
  const rival = second?.score ?? 0;
  if (!best || best.score <= 0 || (rival > 0 && best.score < router.prefilterMargin * rival)) return { scores };
  const candidates = scores.slice(0, router.topK).map((entry, position) => {
    const strongest = position === 0 ? rival : best.score;
    return {
      route: entry.route,
      confidence: round(entry.score / (entry.score + strongest || 1)),
      reasoning: `BM25 ${round(entry.score)} against ${round(strongest)} for the ${position === 0 ? 'next best' : 'best'} route`
    };
  });
  return { decision: { candidates, decidedBy: 'bm25', calls: [], bm25: scores }, scores };
}

/**
 * Asks the router's model which routes fit the request, through generateJson: `{route, confidence, reasoning}`
 * (topK 1) or `{routes: [...]}` (topK > 1); a route that is not declared is sent back once with the declared
 * ones, and a second bad answer throws MODEL_OUTPUT_INVALID with the raw text.
 */
export async function classifyRequest(options: {
  name: string;
  router: RouterConfig;
  backend: ModelBackend;
  texts: readonly RouteText[];
  request: string;
  arguments?: Record<string, unknown>;
  signal: AbortSignal;
  caller?: DownstreamContext;
}): Promise<RouteDecision> {
  const { router, texts } = options;
  const declared = texts.map(text => text.route);
  const unknownRoutes = (routes: string[]) => {
    const unknown = routes.filter(route => !declared.includes(route));
    if (unknown.length > 0) return `route "${unknown[0]}" is not declared; the routes are: ${declared.join(', ')}`;
    const repeated = routes.find((route, index) => routes.indexOf(route) !== index);
    return repeated === undefined ? undefined : `route "${repeated}" is named twice; name each route once`;
  };
  const system = [
    router.instruction,
    `You are a router: choose which of these routes should handle the request. The routes:\n${texts
      .map(text => `- ${text.route} (${text.target}): ${text.description}`)
      .join('\n')}`,
    router.topK === 1
      ? 'Name the one best route, how confident you are (0 to 1) and why, in one sentence.'
      : `Rank up to ${router.topK} routes, best first, each with how confident you are (0 to 1) and why, in one sentence.`
  ]
    .filter(Boolean)
    .join('\n\n');
  const prompt =
    options.arguments !== undefined
      ? `${options.request}\n\nArguments given with the request: ${JSON.stringify(options.arguments)}`
      : options.request;
  const common = {
    backend: options.backend,
    system,
    prompt,
    signal: options.signal,
    ...(options.caller ? { caller: options.caller } : {})
  };
  if (router.topK === 1) {
    const answer = await generateJson({
      ...common,
      schema: candidateSchema,
      what: 'a route',
      check: value => unknownRoutes([value.route])
    });
    return { candidates: [answer.value], decidedBy: 'model', calls: answer.calls };
  }
  const answer = await generateJson({
    ...common,
    schema: z.object({ routes: z.array(candidateSchema).min(1).max(router.topK) }),
    what: `a ranking of up to ${router.topK} routes`,
    check: value => unknownRoutes(value.routes.map(candidate => candidate.route))
  });
  // Best first, whatever order the model wrote them in (a stable sort keeps its order among equals).
  const candidates = [...answer.value.routes].sort((left, right) => right.confidence - left.confidence);
  return { candidates, decidedBy: 'model', calls: answer.calls };
}

function toSearchable(text: RouteText): SearchableTool {
  return {
    name: text.route,
    server: text.target,
    definition: { name: text.route, description: text.description, inputSchema: { type: 'object' } },
    tags: [text.target]
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
