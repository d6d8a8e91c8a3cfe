/**
 * "Did you mean": the nearest name to a misspelt one by edit distance, suggested only when it is
 * plausibly a typo. Pure; used for actions, services and service principals.
 */

function editDistance(a: string, b: string): number {
  const prev = new Array(b.length + 1).fill(0).map((_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The candidate nearest to `word` (case-insensitive edit distance), or undefined when none is within a third of the word. */
export function nearestName(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // Only suggest what is plausibly a typo: at most a third of the word differs.
  return best !== undefined && bestD <= Math.max(2, Math.ceil(w.length / 3)) ? best : undefined;
}
