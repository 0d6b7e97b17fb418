package org.streamrec.model;

/**
 * Top-k selection from one row of a row-major score matrix, without sorting the catalogue: a single linear
 * scan keeps the k best items seen so far in a bounded min-heap (O(n + m log k) where m, the number of heap
 * replacements, is small for any realistic score distribution). The heap lives in the caller's output arrays,
 * so a call allocates nothing; the serving operator calls this once per event.
 *
 * <p>Order: higher score first; equal scores are ordered by lower item index first. Items whose score is NaN
 * are never selected. Excluded items are checked only when they would enter the heap, so an exclusion list
 * (typically the items already seen in a session) costs almost nothing.
 */
public final class TopK {

    private TopK() {
    }

    /**
     * Writes the best {@code min(k, eligible items)} items of {@code scores[offset .. offset+length)}, best first,
     * into {@code outItems[0..]} (item index relative to {@code offset}) and {@code outScores[0..]}.
     *
     * @param excluded      item indexes that must not be selected; may be null
     * @param excludedCount how many leading entries of {@code excluded} are in use
     * @return the number of items written
     */
    public static int select(float[] scores, int offset, int length, int k,
                             int[] excluded, int excludedCount,
                             int[] outItems, float[] outScores) {
        if (k < 0 || outItems.length < k || outScores.length < k) {
            throw new IllegalArgumentException("k=" + k + " does not fit the output arrays");
        }
        if (k == 0) {
            return 0;
        }
        int size = 0;
        int item = 0;
        // Fill phase: the first k eligible items.
        for (; item < length && size < k; item++) {
            float s = scores[offset + item];
            if (s != s || isExcluded(item, excluded, excludedCount)) {
                continue;
            }
            outItems[size] = item;
            outScores[size] = s;
            siftUp(outItems, outScores, size);
            size++;
        }
        if (size < k) {
            sortHeapBestFirst(outItems, outScores, size);
            return size;
        }
        // Scan phase. Items arrive in increasing index order, so an item whose score equals the heap's worst
        // can never beat it (the worst has the lower index): a strict > comparison is the whole tie-break.
        float threshold = outScores[0];
        // Once the heap is full almost no item beats its worst: test 8 at a time without branching (non-short-circuit
        // |), and look at them one by one only when one does. The threshold only rises, so an item that failed the
        // block test could not have entered later either: same result as the plain loop.
        for (; item + 8 <= length; item += 8) {
            int o = offset + item;
            if (scores[o] > threshold | scores[o + 1] > threshold | scores[o + 2] > threshold | scores[o + 3] > threshold
                    | scores[o + 4] > threshold | scores[o + 5] > threshold | scores[o + 6] > threshold
                    | scores[o + 7] > threshold) {
                for (int i = item; i < item + 8; i++) {
                    float s = scores[offset + i];
                    if (s > threshold && !isExcluded(i, excluded, excludedCount)) {
                        outItems[0] = i;
                        outScores[0] = s;
                        siftDown(outItems, outScores, 0, size);
                        threshold = outScores[0];
                    }
                }
            }
        }
        for (; item < length; item++) {
            float s = scores[offset + item];
            if (s > threshold && !isExcluded(item, excluded, excludedCount)) {
                outItems[0] = item;
                outScores[0] = s;
                siftDown(outItems, outScores, 0, size);
                threshold = outScores[0];
            }
        }
        sortHeapBestFirst(outItems, outScores, size);
        return size;
    }

    /** {@link #select} over a whole single-row array with no exclusions. */
    public static int select(float[] row, int k, int[] outItems, float[] outScores) {
        return select(row, 0, row.length, k, null, 0, outItems, outScores);
    }

    private static boolean isExcluded(int item, int[] excluded, int excludedCount) {
        for (int i = 0; i < excludedCount; i++) {
            if (excluded[i] == item) {
                return true;
            }
        }
        return false;
    }

    /** True when (sa, ia) ranks below (sb, ib): lower score, or equal score and higher index. */
    private static boolean worse(float sa, int ia, float sb, int ib) {
        return sa < sb || (sa == sb && ia > ib);
    }

    private static void siftUp(int[] items, float[] scores, int pos) {
        int item = items[pos];
        float score = scores[pos];
        while (pos > 0) {
            int parent = (pos - 1) >>> 1;
            if (!worse(score, item, scores[parent], items[parent])) {
                break;
            }
            items[pos] = items[parent];
            scores[pos] = scores[parent];
            pos = parent;
        }
        items[pos] = item;
        scores[pos] = score;
    }

    private static void siftDown(int[] items, float[] scores, int pos, int size) {
        int item = items[pos];
        float score = scores[pos];
        while (true) {
            int child = 2 * pos + 1;
            if (child >= size) {
                break;
            }
            int right = child + 1;
            if (right < size && worse(scores[right], items[right], scores[child], items[child])) {
                child = right;
            }
            if (!worse(scores[child], items[child], score, item)) {
                break;
            }
            items[pos] = items[child];
            scores[pos] = scores[child];
            pos = child;
        }
        items[pos] = item;
        scores[pos] = score;
    }

    /** Heapsort on the min-heap: repeatedly moving the worst to the end leaves the best at index 0. */
    private static void sortHeapBestFirst(int[] items, float[] scores, int size) {
        for (int end = size - 1; end > 0; end--) {
            int item = items[0];
            float score = scores[0];
            items[0] = items[end];
            scores[0] = scores[end];
            items[end] = item;
            scores[end] = score;
            siftDown(items, scores, 0, end);
        }
    }
}
