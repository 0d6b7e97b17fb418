package org.streamrec.baselines;

/**
 * For each item, a best-first list of other items (successors, neighbours), stored as one CSR array.
 * Scores written for a list are ordinal: {@code itemCount + (listLength - position)}, so they are distinct,
 * exact in float and all above the popularity scores (1..itemCount) that top the list up.
 */
final class RankedLists {

    private final int itemCount;
    private final int[] start;
    private final int[] items;

    RankedLists(int itemCount, int[] start, int[] items) {
        this.itemCount = itemCount;
        this.start = start;
        this.items = items;
    }

    int length(int item) {
        return start[item + 1] - start[item];
    }

    int get(int item, int position) {
        return items[start[item] + position];
    }

    int totalEntries() {
        return items.length;
    }

    /** Writes popularity scores, then the ordinal scores of {@code item}'s list over them. */
    void scoreTopUpWithPopularity(int item, float[] popularity, float[] out, int offset) {
        System.arraycopy(popularity, 0, out, offset, itemCount);
        if (item < 0) {
            return;
        }
        int from = start[item];
        int to = start[item + 1];
        int length = to - from;
        for (int p = from; p < to; p++) {
            out[offset + items[p]] = itemCount + (length - (p - from));
        }
    }
}
