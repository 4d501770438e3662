/**
 * Dice of label maps, per foreground class c = 1..classes−1 (the official downstream `dice`, without its 1e-6):
 * Dice_c = 2·|P_c ∩ G_c| / (|P_c| + |G_c|). A class absent from both maps has no Dice (NaN, left out of the
 * means); a class predicted but absent from the truth scores 0.
 */
export function diceScores(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): number[] {
  if (pred.length !== truth.length)
    throw new Error(`dice: the label maps have ${pred.length} and ${truth.length} voxels`);
  const inter = new Float64Array(classes);
  const np = new Float64Array(classes);
  const ng = new Float64Array(classes);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i];
    const g = truth[i];
    np[p]++;
    ng[g]++;
    if (p === g) inter[p]++;
  }
  const out: number[] = [];
  for (let c = 1; c < classes; c++) out.push(np[c] + ng[c] === 0 ? NaN : (2 * inter[c]) / (np[c] + ng[c]));
  return out;
}

/** Mean of the finite values (NaN when there are none). */
export function finiteMean(xs: readonly number[]): number {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** Per-class means over several volumes' scores (each class over the volumes where it has a Dice). */
export function meanPerClass(scores: readonly number[][]): number[] {
  if (scores.length === 0) return [];
  return scores[0].map((_, c) => finiteMean(scores.map((s) => s[c])));
}
