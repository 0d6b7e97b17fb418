package org.streamrec.model;

/**
 * Top-k selection from one row of a row-major score matrix, without sorting the catalogue: a single linear
 * scan keeps the k best items seen so far in a bounded min-heap (O(n + m log k) where m, the number of heap
 * replacements, is small for any realistic score distribution). The heap lives in the caller's output arrays,
 * so a call allocates nothing; the serving operator calls this once per event.
 *
 * <p>The scan tests a whole vector of scores against the heap's worst at once ({@link ThresholdScan}), so the
 * catalogue costs about one compare per vector, not per item.
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
        int size = offer(scores, offset, null, 0, length, 0, k, excluded, excludedCount, outItems, outScores, 0);
        return finish(outItems, outScores, size);
    }

    /**
     * Adds items {@code firstItem .. firstItem+length-1}, scored {@code scores[offset + i]} plus
     * {@code bias[biasOffset + i]} (no bias when {@code bias} is null), to a min-heap of the best {@code k} kept in
     * {@code heapItems}/{@code heapScores} (its first {@code size} entries), and returns the heap's new size. A
     * catalogue scored in slices goes through several calls with increasing {@code firstItem}; {@link #finish} then
     * orders the heap. The result equals {@link #select} over the whole row with the bias added: the same float sums,
     * the same order of offers, and so the same tie-breaks.
     */
    public static int offer(float[] scores, int offset, float[] bias, int biasOffset, int length, int firstItem, int k,
                            int[] excluded, int excludedCount, int[] heapItems, float[] heapScores, int size) {
        if (k < 0 || heapItems.length < k || heapScores.length < k) {
            throw new IllegalArgumentException("k=" + k + " does not fit the output arrays");
        }
        if (k == 0) {
            return 0;
        }
        int i = 0;
        // Fill phase: the first k eligible items.
        for (; i < length && size < k; i++) {
            float s = bias == null ? scores[offset + i] : scores[offset + i] + bias[biasOffset + i];
            if (s != s || isExcluded(firstItem + i, excluded, excludedCount)) {
                continue;
            }
            heapItems[size] = firstItem + i;
            heapScores[size] = s;
            siftUp(heapItems, heapScores, size);
            size++;
        }
        if (size < k) {
            return size;
        }
        // Scan phase. Items arrive in increasing index order, so an item whose score equals the heap's worst
        // can never beat it (the worst has the lower index): a strict > comparison is the whole tie-break.
        // The threshold only rises, so skipping what the scan rejects gives the same result as testing each item.
        ThresholdScan scan = ThresholdScan.INSTANCE;
        float threshold = heapScores[0];
        for (i = scan.firstAbove(scores, offset, bias, biasOffset, i, length, threshold); i < length;
             i = scan.firstAbove(scores, offset, bias, biasOffset, i + 1, length, threshold)) {
            int item = firstItem + i;
            if (!isExcluded(item, excluded, excludedCount)) {
                heapItems[0] = item;
                heapScores[0] = bias == null ? scores[offset + i] : scores[offset + i] + bias[biasOffset + i];
                siftDown(heapItems, heapScores, 0, size);
                threshold = heapScores[0];
            }
        }
        return size;
    }

    /**
     * Adds a single {@code item} with {@code score} (already including any bias) to a heap of the best {@code k} and
     * returns its new size. Unlike {@link #offer}, items may come in any order: an item replaces the heap's worst when
     * it ranks above it by score and then by lower index, so the heap ends as the same top k, ties included, that
     * {@link #select} gives over all items. Items never offered are as if they had scored too low to enter.
     */
    public static int offerOne(int item, float score, int k, int[] excluded, int excludedCount,
                               int[] heapItems, float[] heapScores, int size) {
        boolean full = size >= k;
        // the exclusion scan only for an item that would enter: most offered candidates do not
        if (score != score || full && (k == 0 || !worse(heapScores[0], heapItems[0], score, item))
                || isExcluded(item, excluded, excludedCount)) {
            return size;
        }
        if (!full) {
            heapItems[size] = item;
            heapScores[size] = score;
            siftUp(heapItems, heapScores, size);
            return size + 1;
        }
        heapItems[0] = item;
        heapScores[0] = score;
        siftDown(heapItems, heapScores, 0, size);
        return size;
    }

    /** Orders a heap built by {@link #offer} best first (in place) and returns its size. */
    public static int finish(int[] heapItems, float[] heapScores, int size) {
        sortHeapBestFirst(heapItems, heapScores, size);
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
