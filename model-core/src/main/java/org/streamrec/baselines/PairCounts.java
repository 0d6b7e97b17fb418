package org.streamrec.baselines;

import java.util.Arrays;

/**
 * Counts of item pairs (a, b), grouped by a: built by sorting {@code a * itemCount + b} keys, which for the
 * millions of pairs in diginetica is much faster and leaner than hash maps of boxed pairs.
 */
final class PairCounts {

    final int itemCount;
    /** Entries of item a are at start[a] .. start[a+1]. */
    final int[] start;
    final int[] other;
    final int[] count;

    private PairCounts(int itemCount, int[] start, int[] other, int[] count) {
        this.itemCount = itemCount;
        this.start = start;
        this.other = other;
        this.count = count;
    }

    static long key(int a, int b, int itemCount) {
        return (long) a * itemCount + b;
    }

    /** Sorts {@code keys[0..size)} in place and counts equal keys. */
    static PairCounts count(long[] keys, int size, int itemCount) {
        Arrays.sort(keys, 0, size);
        int distinct = 0;
        for (int i = 0; i < size; i++) {
            if (i == 0 || keys[i] != keys[i - 1]) {
                distinct++;
            }
        }
        int[] start = new int[itemCount + 1];
        int[] other = new int[distinct];
        int[] count = new int[distinct];
        int d = -1;
        for (int i = 0; i < size; i++) {
            if (i == 0 || keys[i] != keys[i - 1]) {
                d++;
                int a = (int) (keys[i] / itemCount);
                other[d] = (int) (keys[i] % itemCount);
                start[a + 1]++;
            }
            count[d]++;
        }
        for (int a = 0; a < itemCount; a++) {
            start[a + 1] += start[a];
        }
        return new PairCounts(itemCount, start, other, count);
    }
}
