package org.streamrec.cli;

import java.nio.file.Path;
import org.streamrec.eval.Evaluator;
import picocli.CommandLine.Option;

/**
 * The test-set and protocol options that every evaluating command shares ({@code evaluate}, {@code baselines}),
 * mixed in with picocli's {@code @Mixin} so that names, defaults and help stay identical.
 */
final class EvaluationOptions {

    enum Format { table, json }

    @Option(names = "--test", required = true, description = "Test sessions (SessionId, ItemId, Time; .gz allowed).")
    Path test;

    @Option(names = "--format", defaultValue = "table", description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--exclude-seen", description = "Remove items already in the session prefix from the ranking.")
    boolean excludeSeen;

    @Option(names = "--batch-size", defaultValue = "256", description = "Sessions scored per gemm (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--progress-seconds", defaultValue = "10", description = "Seconds between progress lines on stderr (default: ${DEFAULT-VALUE}).")
    double progressSeconds;

    Evaluator evaluator() {
        return new Evaluator(Evaluator.Config.DEFAULT.withBatchSize(batchSize).withExcludeSeen(excludeSeen));
    }

    boolean json() {
        return format == Format.json;
    }
}
