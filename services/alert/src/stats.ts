/** Small numeric helpers for the detector (pure). */

/** Standard normal upper tail P(Z >= z) (Abramowitz–Stegun 7.1.26 erfc approximation, |err| < 1.5e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}

/**
 * P(X >= k) for X ~ Binomial(n, p), summed in log space. Exact for the window sizes the detector
 * sees; the normal approximation understates this tail for small n, which is what makes small
 * windows fire on noise.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let logTerm = logChoose(n, k) + k * lp + (n - k) * lq;
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logTerm);
    logTerm += Math.log((n - i) / (i + 1)) + lp - lq;
  }
  return Math.min(1, sum);
}
