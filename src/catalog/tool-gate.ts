import type { Tool } from '@modelcontextprotocol/client';

import type { ManifoldError } from '../core/errors.js';
import type { CatalogTool } from './catalog.js';

/** Why a server's tool is held back from every list, view, search and call (pinning: changed, blocked, pending). */
export interface ToolHold {
  /** One word for lists and logs. */
  state: string;
  /** What a call of the tool, by its public name, is refused with. */
  refusal(publicName: string): ManifoldError;
}

/**
 * Decides, at each catalog rebuild, which of a server's tools are held back (src/pinning implements it). Held
 * tools are in no list, view or search, and a call of one is refused with its hold's error.
 */
export interface ToolGate {
  /**
   * `tools`: the server's own definitions (its names, before the config's annotation corrections) that the
   * config keeps. Answers the held ones by their names on the server.
   */
  review(server: string, tools: readonly Tool[]): ReadonlyMap<string, ToolHold>;
}

/** A tool the gate holds back: its catalog entry as it would be, and why. */
export interface HeldTool {
  tool: CatalogTool;
  hold: ToolHold;
}
