package org.streamrec.baselines;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/** The baselines by the names the CLI uses. */
public enum Baseline {
    POP(PopularityScorer::fit),
    MARKOV(MarkovScorer::fit),
    ITEMKNN(ItemKnnScorer::fit),
    VSKNN(VsknnScorer::fit),
    SR(SequentialRulesScorer::fit);

    private final Function<TrainingStats, HistoryScorer> fitter;

    Baseline(Function<TrainingStats, HistoryScorer> fitter) {
        this.fitter = fitter;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public HistoryScorer fit(TrainingStats stats) {
        return fitter.apply(stats);
    }

    public static Baseline byName(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (Baseline b : values()) {
            if (b.cliName().equals(wanted)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown baseline '" + name + "'; known: "
                + Arrays.stream(values()).map(Baseline::cliName).toList());
    }
}
