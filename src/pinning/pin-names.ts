import { toPublicName } from '../catalog/index.js';
import type { ManifoldConfig } from '../config/index.js';
import type { ToolPin } from '../store/index.js';

/** A pin with the public name clients know its tool by (the config's `prefix` of its server). */
export interface NamedPin extends ToolPin {
  name: string;
}

export function namePins(pins: readonly ToolPin[], servers: ManifoldConfig['servers']): NamedPin[] {
  return pins.map(pin => ({ ...pin, name: toPublicName(pin.server, pin.tool, servers[pin.server]?.prefix ?? true) }));
}

/** The pins a command argument names: a tool by its public name (or `server/tool`), else every tool of a server. */
export function selectPins(pins: readonly NamedPin[], argument: string): { kind: 'tool' | 'server'; pins: NamedPin[] } | undefined {
  const byName = pins.filter(pin => pin.name === argument || `${pin.server}/${pin.tool}` === argument);
  if (byName.length > 0) return { kind: 'tool', pins: byName };
  const byServer = pins.filter(pin => pin.server === argument);
  return byServer.length > 0 ? { kind: 'server', pins: byServer } : undefined;
}
