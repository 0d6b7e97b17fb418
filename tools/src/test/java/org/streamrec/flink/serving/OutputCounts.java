package org.streamrec.flink.serving;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Output counted by triggering event id: how many of the expected ids never came ({@code missing}), how many extra
 * copies came of ids that did ({@code duplicated}: an id seen three times adds 2), ids nobody expected, and the total
 * number of records read. What every fault test prints and asserts on.
 */
record OutputCounts(String scenario, int expected, int total, int missing, int duplicated, int unexpected) {

    static OutputCounts of(String scenario, Collection<String> expectedIds, List<String> seenIds) {
        Set<String> expected = new LinkedHashSet<>(expectedIds);
        Map<String, Integer> seen = new HashMap<>();
        for (String id : seenIds) {
            seen.merge(id, 1, Integer::sum);
        }
        int missing = 0;
        for (String id : expected) {
            if (!seen.containsKey(id)) {
                missing++;
            }
        }
        int duplicated = 0;
        int unexpected = 0;
        for (Map.Entry<String, Integer> e : seen.entrySet()) {
            duplicated += e.getValue() - 1;
            if (!expected.contains(e.getKey())) {
                unexpected++;
            }
        }
        return new OutputCounts(scenario, expected.size(), seenIds.size(), missing, duplicated, unexpected);
    }

    /** Prints one greppable line ({@code [fault-counts] ...}) to stdout, which Failsafe keeps in the test report. */
    OutputCounts print() {
        System.out.println(this.line());
        return this;
    }

    String line() {
        return String.format("[fault-counts] %s: expected=%d total=%d missing=%d duplicated=%d unexpected=%d",
                scenario, expected, total, missing, duplicated, unexpected);
    }
}
