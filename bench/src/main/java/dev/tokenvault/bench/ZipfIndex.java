package dev.tokenvault.bench;

import java.util.SplittableRandom;

/**
 * Zipf-distributed indexes in {@code [0, n)} (exponent 1.0 by default), precomputed, as
 * Caffeine's benchmarks draw their keys: a few tokens are hot, most are cold, like real traffic.
 */
final class ZipfIndex {
  private final int[] draws;
  private int next;

  ZipfIndex(int n, double exponent, int samples, long seed) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1.0 / Math.pow(i + 1, exponent);
      cdf[i] = sum;
    }
    SplittableRandom random = new SplittableRandom(seed);
    draws = new int[samples];
    for (int s = 0; s < samples; s++) {
      double u = random.nextDouble() * sum;
      int lo = 0;
      int hi = n - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      draws[s] = lo;
    }
  }

  int next() {
    int i = draws[next];
    next = (next + 1) % draws.length;
    return i;
  }
}
