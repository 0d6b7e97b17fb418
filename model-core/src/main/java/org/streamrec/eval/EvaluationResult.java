package org.streamrec.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Outcome of one {@link Evaluator} run.
 *
 * @param name                what was evaluated (e.g. "markov")
 * @param predictions         number of (prefix, target) pairs
 * @param atK                 Recall@k and MRR@k for each cutoff, ascending k
 * @param coverageCutoff      list length used for coverage (20)
 * @param coverage            distinct items in any top-{@code coverageCutoff} list / catalogue size
 * @param distinctRecommended numerator of {@code coverage}
 * @param catalogueSize       items the scorer ranks
 * @param excludeSeen         whether the prefix's items were removed from the ranking
 * @param unknownInputs       test events on items outside the vocabulary (state not stepped)
 * @param unknownTargets      targets outside the vocabulary (counted as misses)
 * @param elapsed             wall-clock time of the evaluation, scoring included
 */
public record EvaluationResult(String name, long predictions, List<AtK> atK, int coverageCutoff, double coverage,
                               int distinctRecommended, int catalogueSize, boolean excludeSeen,
                               long unknownInputs, long unknownTargets, Duration elapsed) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public record AtK(int k, double recall, double mrr) {
    }

    public EvaluationResult {
        atK = List.copyOf(atK);
    }

    public double recall(int k) {
        return at(k).recall();
    }

    public double mrr(int k) {
        return at(k).mrr();
    }

    private AtK at(int k) {
        for (AtK m : atK) {
            if (m.k() == k) {
                return m;
            }
        }
        throw new IllegalArgumentException("no metrics at k=" + k + "; have " + atK);
    }

    /** Predictions per second of wall-clock time. */
    public double predictionsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds == 0 ? 0 : predictions / seconds;
    }

    public ObjectNode toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", name);
        node.put("predictions", predictions);
        for (AtK m : atK) {
            node.put("recall@" + m.k(), m.recall());
        }
        for (AtK m : atK) {
            node.put("mrr@" + m.k(), m.mrr());
        }
        node.put("coverage@" + coverageCutoff, coverage);
        node.put("distinctRecommended", distinctRecommended);
        node.put("catalogueSize", catalogueSize);
        node.put("excludeSeen", excludeSeen);
        node.put("unknownInputs", unknownInputs);
        node.put("unknownTargets", unknownTargets);
        node.put("evalSeconds", elapsed.toNanos() / 1e9);
        return node;
    }

    public String toJsonString() {
        return toJson().toString();
    }

    /** A fixed-width table, one row per result; all results should share cutoffs. */
    public static String table(List<EvaluationResult> results) {
        if (results.isEmpty()) {
            return "(no results)\n";
        }
        EvaluationResult first = results.get(0);
        int nameWidth = Math.max(8, results.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", "model"));
        for (AtK m : first.atK()) {
            out.append(String.format(Locale.ROOT, " %8s", "R@" + m.k()));
        }
        for (AtK m : first.atK()) {
            out.append(String.format(Locale.ROOT, " %8s", "MRR@" + m.k()));
        }
        out.append(String.format(Locale.ROOT, " %8s %11s %9s%n", "Cov@" + first.coverageCutoff(), "predictions", "eval s"));
        for (EvaluationResult r : results) {
            out.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", r.name()));
            for (AtK m : r.atK()) {
                out.append(String.format(Locale.ROOT, " %8.4f", m.recall()));
            }
            for (AtK m : r.atK()) {
                out.append(String.format(Locale.ROOT, " %8.4f", m.mrr()));
            }
            out.append(String.format(Locale.ROOT, " %8.4f %11d %9.1f%n", r.coverage(), r.predictions(), r.elapsed().toNanos() / 1e9));
        }
        out.append("already-seen items ").append(first.excludeSeen() ? "EXCLUDED from" : "kept in").append(" the ranking");
        long unknown = results.stream().mapToLong(EvaluationResult::unknownTargets).max().orElse(0);
        if (unknown > 0) {
            out.append("; ").append(unknown).append(" targets unknown to the vocabulary counted as misses");
        }
        return out.append('\n').toString();
    }
}
