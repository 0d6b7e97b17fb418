package org.streamrec.tools.replay;

import java.util.Arrays;

/**
 * Distinct strings (event, session or user ids), kept as 64-bit fingerprints in one open-addressing {@code long[]}:
 * for counting what a replay or a load-test step has seen.
 *
 * <p>Why not a {@code HashSet<String>}: the load test's harness shares its JVM with the job it measures (embedded
 * mode), and a step's sets (300,000 answered event ids, 60,000 sessions and users sent, about 100 bytes each in
 * strings and nodes) lived just long enough to be copied from survivor space to survivor space by every young
 * collection: with the step's session list they made up much of the 35-53 MB that survived each young pause, and
 * those pauses (25-45 ms every 1.5-4 s) held every answer up (BENCHMARKS.md, "Garbage collection in the load test's
 * JVM"). One primitive array is never copied by a young collection. Hand-written because the JDK has no primitive set
 * and these counts do not justify a collections library in the jobs' jar.
 *
 * <p>Two different strings share a fingerprint with probability about 2^-64 per pair (about 10^-9 for 300,000
 * strings), which would count the second as seen. Not thread-safe.
 */
public final class FingerprintSet {

    private static final int MIN_SLOTS = 1 << 10;

    /** 0 marks an empty slot; fingerprint 0 is tracked by {@link #hasZero}. */
    private long[] slots;
    private boolean hasZero;
    private int size;

    public FingerprintSet() {
        this(0);
    }

    /**
     * A set that holds {@code expectedSize} strings without growing. Growing allocates a table twice as large, and from
     * 65,536 slots (512 KB) on that is a humongous object for G1 (with 1 MB regions), which can start a concurrent
     * cycle in the middle of a load-test step; sized up front, a step's sets are allocated before its clock starts.
     */
    public FingerprintSet(int expectedSize) {
        slots = new long[slotsFor(expectedSize)];
    }

    /** Empties the set, keeping its table unless {@code expectedSize} needs a larger one. */
    public void clear(int expectedSize) {
        int needed = slotsFor(expectedSize);
        if (needed > slots.length) {
            slots = new long[needed];
        } else {
            Arrays.fill(slots, 0);
        }
        hasZero = false;
        size = 0;
    }

    /** The table size (a power of two) that keeps {@code expectedSize} fingerprints at most half full. */
    private static int slotsFor(int expectedSize) {
        int slots = MIN_SLOTS;
        while (slots < 2L * expectedSize) {
            slots *= 2;
        }
        return slots;
    }

    /** Adds {@code id}; false if it was there already. */
    public boolean add(String id) {
        return addFingerprint(fingerprint(id));
    }

    public int size() {
        return size;
    }

    boolean addFingerprint(long f) {
        if (f == 0) {
            if (hasZero) {
                return false;
            }
            hasZero = true;
            size++;
            return true;
        }
        if (2 * (size + 1) > slots.length) {
            grow();
        }
        if (!insert(slots, f)) {
            return false;
        }
        size++;
        return true;
    }

    private static boolean insert(long[] table, long f) {
        int mask = table.length - 1;
        for (int i = (int) f & mask; ; i = (i + 1) & mask) {
            if (table[i] == f) {
                return false;
            }
            if (table[i] == 0) {
                table[i] = f;
                return true;
            }
        }
    }

    private void grow() {
        long[] bigger = new long[2 * slots.length];
        for (long f : slots) {
            if (f != 0) {
                insert(bigger, f);
            }
        }
        slots = bigger;
    }

    /**
     * FNV-1a over the UTF-16 chars (no byte array per call: it runs for every answer and every event sent), then
     * MurmurHash3's 64-bit finaliser so that the low bits (the slot) mix well.
     */
    static long fingerprint(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
