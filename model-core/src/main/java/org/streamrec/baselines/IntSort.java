package org.streamrec.baselines;

/**
 * Stable merge sort of an int range under a comparator. The JDK sorts primitives only in natural order, and
 * boxing millions of co-occurrence entries into Integer[] to use a Comparator costs seconds; no primitive
 * collections library is on the classpath, so this small routine is hand-written.
 */
final class IntSort {

    interface IntComparator {
        int compare(int a, int b);
    }

    private IntSort() {
    }

    static void sort(int[] a, int from, int to, IntComparator comparator) {
        if (to - from < 2) {
            return;
        }
        sortRange(a, from, to, new int[(to - from + 1) / 2], comparator);
    }

    private static void sortRange(int[] a, int lo, int hi, int[] buffer, IntComparator cmp) {
        if (hi - lo < 16) {
            for (int i = lo + 1; i < hi; i++) {
                int value = a[i];
                int j = i - 1;
                while (j >= lo && cmp.compare(a[j], value) > 0) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = value;
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        sortRange(a, lo, mid, buffer, cmp);
        sortRange(a, mid, hi, buffer, cmp);
        if (cmp.compare(a[mid - 1], a[mid]) <= 0) {
            return;
        }
        int leftLength = mid - lo;
        System.arraycopy(a, lo, buffer, 0, leftLength);
        int p = 0;
        int q = mid;
        int out = lo;
        while (p < leftLength && q < hi) {
            // Taking the left element on equality keeps the sort stable.
            a[out++] = cmp.compare(buffer[p], a[q]) <= 0 ? buffer[p++] : a[q++];
        }
        while (p < leftLength) {
            a[out++] = buffer[p++];
        }
    }
}
