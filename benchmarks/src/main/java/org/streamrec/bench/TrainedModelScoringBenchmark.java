package org.streamrec.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ModelSnapshot;

/**
 * The serving top-20 ({@link Gru4RecModel#topKRows}) on a trained model and real sessions' hidden states, with the
 * low-rank pruning bound at {@code rank} (0: every item scored, the path without it). {@link ScoringBenchmark} uses
 * a freshly initialised model and uniform random states, which have no structure for the bound to use, so pruning
 * is measured here: on the load test's model ({@code deploy/loadtest.sh} builds it) and the hidden state after each
 * event of the first test sessions of its dataset. Prints at tear-down how long preparing the model took and the
 * share of items scored in full.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class TrainedModelScoringBenchmark {

    static final int K = 20;
    static final int STATES = 4096;

    /** A snapshot directory ({@code ModelSnapshot}); relative paths resolve against the working directory. */
    @Param("target/loadtest-models/diginetica-h100-e1")
    public String model;

    /** Sessions replayed for hidden states: the dataset's test split (SessionId, ItemId, Time; gzip TSV). */
    @Param("../shared/data/diginetica/diginetica_test.tsv.gz")
    public String sessions;

    @Param({"0", "32"})
    public int rank;

    private Gru4RecModel gru;
    private final List<float[]> states = new ArrayList<>();
    private final List<float[]> batch = new ArrayList<>();
    private int next;
    private long checksum;
    private long prepareMillis;

    @Setup
    public void setUp() throws IOException {
        gru = ModelSnapshot.load(Path.of(model));
        states.addAll(SessionHiddenStates.read(gru, Path.of(sessions), STATES));
        if (states.size() < STATES) {
            throw new IllegalStateException("only " + states.size() + " hidden states from " + sessions);
        }
        long start = System.nanoTime();
        gru.prepareForServing(rank);
        prepareMillis = (System.nanoTime() - start) / 1_000_000;
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.printf("%n[pruning] rank %d (in use: %d, prepared in %d ms): %.2f%% of item scores computed in full"
                        + " (%d of %d)%n", rank, gru.scoreBoundRank(), prepareMillis,
                100.0 * gru.itemsScoredInFull() / Math.max(1, gru.itemsRanked()), gru.itemsScoredInFull(),
                gru.itemsRanked());
    }

    private long top20(int rows) throws Exception {
        batch.clear();
        for (int r = 0; r < rows; r++) {
            batch.add(states.get(next));
            next = (next + 1) % states.size();
        }
        checksum = 0;
        gru.topKRows(batch, K, row -> null, (row, items, scores, count) -> checksum += items[0]);
        return checksum;
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public long servingTop20_batch001() throws Exception {
        return top20(1);
    }

    @Benchmark
    @OperationsPerInvocation(8)
    public long servingTop20_batch008() throws Exception {
        return top20(8);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public long servingTop20_batch032() throws Exception {
        return top20(32);
    }
}
