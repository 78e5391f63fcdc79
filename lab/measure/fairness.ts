/** Jain's fairness index of a set of rates: (Σx)² / (n·Σx²), 1 when all are equal, 1/n when one has all (pure). */
export function jainIndex(rates: readonly number[]): number | null {
  if (rates.length === 0) return null;
  const sum = rates.reduce((total, rate) => total + rate, 0);
  const squares = rates.reduce((total, rate) => total + rate * rate, 0);
  return squares === 0 ? null : (sum * sum) / (rates.length * squares);
}
