/** The lists a change is about (as the catalog names them). */
export type FleetListKind = 'tools' | 'prompts' | 'resources';

/**
 * What one instance tells the others. A closed union: each receiver handles every kind (exhaustive switch).
 * - `list-changed`: an upstream server announced a list change to this instance (its own session saw it).
 * - `resource-updated`: an upstream server said a resource changed.
 * - `catalog-changed`: something of the gateway's own changed what instances list (a tool approved, a rule);
 *   with `server`, that server's lists are read again; `lists` defaults to all three.
 */
export type FleetEvent =
  | { kind: 'list-changed'; server: string; lists: FleetListKind[] }
  | { kind: 'resource-updated'; server: string; uri: string }
  | { kind: 'catalog-changed'; server?: string; lists?: FleetListKind[]; reason?: string };

/** An event as it travels: who sent it, when, and an id for de-duplication. */
export interface FleetMessage {
  v: 1;
  id: string;
  from: string;
  at: number;
  event: FleetEvent;
}

/**
 * Carries events between the gateway instances of one fleet. `publish` tells the *other* instances (the sender
 * acts on its own events itself, as it always has); listeners hear only other instances' events, each once.
 * Without a shared Redis it is {@link localEventBus}: publishing goes nowhere, nothing is heard.
 */
export interface EventBus {
  readonly instanceId: string;
  /** Whether events reach other instances right now (false without Redis, or while it is down). */
  readonly shared: boolean;
  publish(event: FleetEvent): void;
  subscribe(listener: (event: FleetEvent, message: FleetMessage) => void): () => void;
}

/** The bus of a gateway alone: nothing to tell, nobody to hear. */
export function localEventBus(instanceId: string): EventBus {
  return { instanceId, shared: false, publish: () => {}, subscribe: () => () => {} };
}
