package org.streamrec.baselines;

import java.util.Arrays;

/** Session state of the baselines: the item rows seen so far, in order, repeats included. */
public final class SessionHistory {

    private int[] items = new int[8];
    private int length;

    void add(int item) {
        if (length == items.length) {
            items = Arrays.copyOf(items, length * 2);
        }
        items[length++] = item;
    }

    public int length() {
        return length;
    }

    public int item(int position) {
        if (position >= length) {
            throw new IndexOutOfBoundsException(position);
        }
        return items[position];
    }

    public boolean isEmpty() {
        return length == 0;
    }

    public int last() {
        return items[length - 1];
    }
}
