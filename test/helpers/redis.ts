/** Moved to scripts/fleet/redis.ts (shared with the fleet launcher, scripts/fleet/launch.ts). */
export * from '../../scripts/fleet/redis.js';
