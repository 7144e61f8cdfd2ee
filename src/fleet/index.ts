export { type EventBus, type FleetEvent, type FleetListKind, type FleetMessage, localEventBus } from './event-bus.js';
export { Fleet } from './fleet.js';
export { resolveInstanceId } from './instance-id.js';
export { RedisEventBus } from './redis-event-bus.js';
export { redactRedisUrl, RedisLink, type RedisLinkState } from './redis-link.js';
