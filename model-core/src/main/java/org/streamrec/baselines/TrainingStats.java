package org.streamrec.baselines;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.model.ItemVocabulary;

/**
 * What every baseline fits from: the training sessions encoded as vocabulary rows, item occurrence counts,
 * a deterministic tie-break order and the popularity order built from them.
 *
 * <p>Tie-break: whenever two items are equally good for a baseline, the one whose external item id comes first
 * in string order wins ("10" before "9"). This makes a baseline's ranking independent of the vocabulary's row
 * order, and it is the rule under which the reference numbers in {@code shared/data/README.md} were computed:
 * with it Markov1 reproduces them exactly on both data sets (diginetica 0.3411 / 0.1282, rsc15-100k
 * 0.5874 / 0.3466), while numeric id order gives 0.3404 / 0.1278 on diginetica (whose ids have 1 to 5 digits)
 * and first-appearance order 0.5903 / 0.3455 on rsc15-100k.
 */
public final class TrainingStats {

    private final ItemVocabulary vocabulary;
    private final int itemCount;
    private final int[][] sessions;
    private final long[] sessionEndTimes;
    private final long[] occurrences;
    private final int[] tieRank;
    private final int[] itemByTieRank;
    private final float[] popularityScores;
    private final long droppedEvents;

    private TrainingStats(SessionDataset train, ItemVocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.itemCount = vocabulary.size();
        if (itemCount >= (1 << 23)) {
            // Ordinal scores (item count + list position) must stay exact in a float's 24-bit mantissa.
            throw new IllegalArgumentException("too many items for exact ordinal float scores: " + itemCount);
        }
        List<Session> source = train.sessions();
        this.sessions = new int[source.size()][];
        this.sessionEndTimes = new long[source.size()];
        this.occurrences = new long[itemCount];
        long dropped = 0;
        for (int s = 0; s < source.size(); s++) {
            Session session = source.get(s);
            int[] rows = new int[session.length()];
            int n = 0;
            for (String id : session.itemIds()) {
                int row = vocabulary.indexOf(id);
                if (row == ItemVocabulary.UNKNOWN) {
                    dropped++;
                } else {
                    rows[n++] = row;
                    occurrences[row]++;
                }
            }
            sessions[s] = n == rows.length ? rows : Arrays.copyOf(rows, n);
            sessionEndTimes[s] = session.length() == 0 ? Long.MIN_VALUE : session.timestamps()[session.length() - 1];
        }
        this.droppedEvents = dropped;

        Integer[] byId = new Integer[itemCount];
        for (int i = 0; i < itemCount; i++) {
            byId[i] = i;
        }
        Arrays.sort(byId, (a, b) -> compareIds(vocabulary.idOf(a), vocabulary.idOf(b)));
        this.tieRank = new int[itemCount];
        this.itemByTieRank = new int[itemCount];
        for (int r = 0; r < itemCount; r++) {
            tieRank[byId[r]] = r;
            itemByTieRank[r] = byId[r];
        }

        // Popularity order: occurrences desc, then tie rank. Scores itemCount..1 so that they are exact and distinct.
        Integer[] byPopularity = Arrays.copyOf(byId, itemCount);
        Arrays.sort(byPopularity, Comparator.<Integer>comparingLong(i -> -occurrences[i]).thenComparingInt(i -> tieRank[i]));
        this.popularityScores = new float[itemCount];
        for (int position = 0; position < itemCount; position++) {
            popularityScores[byPopularity[position]] = itemCount - position;
        }
    }

    /** Fits the statistics of {@code train} over the rows of {@code vocabulary}; training items it lacks are dropped. */
    public static TrainingStats of(SessionDataset train, ItemVocabulary vocabulary) {
        return new TrainingStats(train, vocabulary);
    }

    /** The vocabulary of all training items, rows in order of first appearance. */
    public static ItemVocabulary vocabularyOf(SessionDataset train) {
        ItemVocabulary vocabulary = new ItemVocabulary();
        for (Session session : train.sessions()) {
            for (String id : session.itemIds()) {
                vocabulary.getOrAdd(id);
            }
        }
        return vocabulary;
    }

    static int compareIds(String a, String b) {
        return a.compareTo(b);
    }

    public ItemVocabulary vocabulary() {
        return vocabulary;
    }

    public int itemCount() {
        return itemCount;
    }

    /** Training sessions as vocabulary rows (do not modify). */
    int[][] sessions() {
        return sessions;
    }

    /** Time of each training session's last event (do not modify). */
    long[] sessionEndTimes() {
        return sessionEndTimes;
    }

    public long occurrences(int item) {
        return occurrences[item];
    }

    long[] occurrences() {
        return occurrences;
    }

    /** Position of {@code item} in the tie-break order; lower wins a tie. */
    public int tieRank(int item) {
        return tieRank[item];
    }

    int itemByTieRank(int rank) {
        return itemByTieRank[rank];
    }

    /** Popularity scores itemCount (most frequent) .. 1, distinct, exact in float (do not modify). */
    float[] popularityScores() {
        return popularityScores;
    }

    /** Training events whose item is not in the vocabulary (0 when the vocabulary was built from training). */
    public long droppedEvents() {
        return droppedEvents;
    }

    /** Items sorted best-first by popularity, for tests and reports. */
    public List<Integer> mostPopular(int n) {
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < itemCount; i++) {
            items.add(i);
        }
        items.sort(Comparator.<Integer>comparingDouble(i -> -popularityScores[i]));
        return items.subList(0, Math.min(n, itemCount));
    }
}
