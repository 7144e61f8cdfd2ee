/** Moved to scripts/fleet/postgres.ts (shared with the fleet launcher, scripts/fleet/launch.ts). */
export * from '../../scripts/fleet/postgres.js';
