package org.streamrec.model;

import java.util.SplittableRandom;

/**
 * Extra negative samples drawn from popularity^alpha, as the official {@code SampleCache}: a block of
 * {@code max(1, cacheMaxSize / nSample)} mini-batches' worth of samples is drawn at once (inverse CDF by
 * binary search) and handed out one batch at a time; the block is redrawn when used up or when the
 * popularity changes ({@link #updatePopularity}). Deterministic for a given seed and call sequence.
 */
public final class NegativeSampleCache {

    private final int nSample;
    private final double alpha;
    private final int cacheBatches;
    private SplittableRandom random;
    private double[] cdf = new double[0];
    private int items;
    private int[] cache = new int[0];
    private int pointer;
    private int filledBatches;

    public NegativeSampleCache(int nSample, double alpha, int cacheMaxSize, long[] popularity, int itemCount, long seed) {
        this.nSample = nSample;
        this.alpha = alpha;
        this.cacheBatches = nSample > 0 ? Math.max(1, cacheMaxSize / nSample) : 0;
        this.random = new SplittableRandom(seed);
        updatePopularity(popularity, itemCount);
    }

    /** Rebuilds the sampling distribution from the first {@code itemCount} counts and drops cached samples. */
    public void updatePopularity(long[] popularity, int itemCount) {
        double[] c = new double[itemCount];
        double sum = 0;
        for (int i = 0; i < itemCount; i++) {
            sum += Math.pow(popularity[i], alpha) * (popularity[i] > 0 ? 1 : 0);
            c[i] = sum;
        }
        if (itemCount > 0 && sum > 0) {
            for (int i = 0; i < itemCount; i++) {
                c[i] /= sum;
            }
            c[itemCount - 1] = 1.0;
        }
        this.cdf = c;
        this.items = itemCount;
        this.filledBatches = 0;
        this.pointer = 0;
    }

    /** Restarts the random stream from {@code seed} and drops cached samples. */
    public void reseed(long seed) {
        this.random = new SplittableRandom(seed);
        this.filledBatches = 0;
        this.pointer = 0;
    }

    public int sampleSize() {
        return nSample;
    }

    /** Copies the next batch of {@link #sampleSize()} item rows into {@code out[offset..)}. */
    public void next(int[] out, int offset) {
        if (nSample == 0) {
            return;
        }
        if (items == 0 || cdf[items - 1] <= 0) {
            throw new IllegalStateException("no item has positive popularity to sample negatives from");
        }
        if (pointer >= filledBatches) {
            refill();
        }
        System.arraycopy(cache, pointer * nSample, out, offset, nSample);
        pointer++;
    }

    private void refill() {
        int total = cacheBatches * nSample;
        if (cache.length != total) {
            cache = new int[total];
        }
        for (int i = 0; i < total; i++) {
            cache[i] = upperBound(cdf, items, random.nextDouble());
        }
        filledBatches = cacheBatches;
        pointer = 0;
    }

    /** Number of entries {@code <= x}: the official {@code _bin_search}, i.e. the first index whose CDF exceeds x. */
    private static int upperBound(double[] cdf, int n, double x) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return Math.min(lo, n - 1);
    }
}
