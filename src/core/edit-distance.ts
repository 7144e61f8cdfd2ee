/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidates closest to a misspelt word, closest first: within a third of its length in edits (at least
 * 2), or sharing most of their start (`retries` → `retry`, `timout` → `timeout`).
 */
export function closestWords(word: string, candidates: readonly string[], limit = 3): string[] {
  const lower = word.toLowerCase();
  return candidates
    .map(candidate => {
      const other = candidate.toLowerCase();
      const distance = editDistance(lower, other);
      const shorter = Math.min(lower.length, other.length);
      const near = distance <= Math.max(2, Math.floor(shorter / 3)) || (shorter >= 4 && commonPrefix(lower, other) >= Math.ceil(shorter * 0.6));
      return { candidate, distance, near };
    })
    .filter(entry => entry.near)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, limit)
    .map(entry => entry.candidate);
}

function commonPrefix(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}
