package org.streamrec.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps external item ids to dense row indexes 0..size-1. Grows append-only, so a row index keeps its
 * meaning across model versions and new items get new rows at the end.
 * Not thread-safe: the serving job uses one immutable-in-practice instance per model version.
 */
public final class ItemVocabulary {

    public static final int UNKNOWN = -1;

    private final Map<String, Integer> indexById;
    private final List<String> idByIndex;

    public ItemVocabulary() {
        this.indexById = new HashMap<>();
        this.idByIndex = new ArrayList<>();
    }

    public ItemVocabulary(List<String> idsInIndexOrder) {
        this.indexById = new HashMap<>(idsInIndexOrder.size() * 2);
        this.idByIndex = new ArrayList<>(idsInIndexOrder.size());
        for (String id : idsInIndexOrder) {
            if (getOrAdd(id) != idByIndex.size() - 1) {
                throw new IllegalArgumentException("duplicate item id in vocabulary: " + id);
            }
        }
    }

    /** Row of {@code itemId}, or {@link #UNKNOWN}. */
    public int indexOf(String itemId) {
        Integer index = indexById.get(itemId);
        return index == null ? UNKNOWN : index;
    }

    /** Row of {@code itemId}, adding it at the end when it is new. */
    public int getOrAdd(String itemId) {
        Integer index = indexById.get(itemId);
        if (index != null) {
            return index;
        }
        int added = idByIndex.size();
        idByIndex.add(itemId);
        indexById.put(itemId, added);
        return added;
    }

    public String idOf(int index) {
        return idByIndex.get(index);
    }

    public int size() {
        return idByIndex.size();
    }

    /** External ids in row order; the form snapshots store. */
    public List<String> ids() {
        return List.copyOf(idByIndex);
    }

    public ItemVocabulary copy() {
        return new ItemVocabulary(idByIndex);
    }
}
