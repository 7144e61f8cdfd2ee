import type { DownstreamContext } from '../core/pipeline.js';

/**
 * A call that a journaled run makes to a tool that is itself a run (a router's agent or workflow route): the
 * called run takes this id, so that when the calling run is resumed, the same call finds its run again: a
 * completed one gives its recorded result, an unfinished one is resumed from its own journal.
 */
export interface RunLink {
  /** The id the called run is recorded under (the caller's id and a suffix: `<id>.routed`). */
  runId: string;
  /** The catalog tool the link is for: another tool called with the same context does not take it. */
  tool: string;
  /** The calling run was resumed with force: so is the called one. */
  force: boolean;
}

/** A symbol, so the link travels with the request in this process only: no client can send one. */
const runLinkKey = Symbol('manifold/run-link');

/** The context for a call whose run should be recorded under `link.runId`. */
export function withRunLink(downstream: DownstreamContext, link: RunLink): DownstreamContext {
  return { ...downstream, [runLinkKey]: link } as DownstreamContext;
}

/** The link of a call to `tool`, if its caller set one. */
export function runLinkOf(downstream: DownstreamContext, tool: string): RunLink | undefined {
  const link = (downstream as unknown as Record<symbol, RunLink | undefined>)[runLinkKey];
  return link?.tool === tool ? link : undefined;
}

/** The run a linked run belongs to (`run_x.routed` → `run_x`), or undefined for a run that is not linked. */
export function linkParentOf(runId: string): string | undefined {
  const dot = runId.lastIndexOf('.');
  return dot > 0 ? runId.slice(0, dot) : undefined;
}
