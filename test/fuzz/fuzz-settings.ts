/**
 * Fuzz settings (docs/SECURITY.md "Fuzzing"): fixed seeds, so a failure in CI replays exactly; a short run in
 * `npm test`, a long one on demand: `FUZZ_RUNS=100000 npm run fuzz` (each property's run count is scaled to it),
 * `FUZZ_SEED=<n>` to explore other inputs (fast-check prints the seed and path of a failure to replay it).
 */
import type fc from 'fast-check';

/** The seed every property starts from (FUZZ_SEED overrides it). */
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? 20261207);

/** `quick` runs in `npm test`; with FUZZ_RUNS set, that many (the long run). */
export function fuzzRuns(quick: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(asked) && asked > 0 ? asked : quick;
}

/** Whether this is the long run (a wider time budget per test). */
export const longRun = Number(process.env.FUZZ_RUNS) > 0;

/** fast-check parameters: the fixed seed, the run count, and no shrinking past a bound (a face's run is slow). */
export function fuzzParameters(quick: number): fc.Parameters<unknown> {
  return { seed: fuzzSeed, numRuns: fuzzRuns(quick), endOnFailure: true, verbose: 0 };
}
