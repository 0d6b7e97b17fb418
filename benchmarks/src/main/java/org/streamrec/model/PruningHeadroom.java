package org.streamrec.model;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.streamrec.bench.SessionHiddenStates;

/**
 * How much more {@link LowRankScoreBound} could prune, measured on a trained model and real sessions' hidden states
 * (as {@code TrainedModelScoringBenchmark} takes them), with each row's final k-th best score as the threshold (the
 * best case for any bound): where its norm cut-off stops against the last item whose bound reaches that score, and
 * how many items beyond the head, and how many 16-item blocks, bounds of lower ranks leave. Not a JMH benchmark: it
 * counts work, it does not time it. In this package because the bound's API is package-private (the model's
 * parameters it reads through the model's public accessors); in the benchmarks
 * module because it is a measurement, not a part of the model.
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * org.streamrec.model.PruningHeadroom MODEL_DIR SESSIONS_TSV_GZ [STATES] [RANKS]}
 */
public final class PruningHeadroom {

    private static final int K = 20;
    private static final int BLOCK = 16;

    private PruningHeadroom() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: PruningHeadroom MODEL_DIR SESSIONS_TSV_GZ [STATES, default 500] [RANKS, default 8,16,24,32]");
            System.exit(2);
        }
        Gru4RecModel model = ModelSnapshot.load(Path.of(args[0]));
        int states = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        int[] ranks = Arrays.stream((args.length > 3 ? args[3] : "8,16,24,32").split(",")).mapToInt(Integer::parseInt).toArray();
        int items = model.itemCount();
        int hidden = model.hiddenSize();
        List<float[]> hiddenStates = SessionHiddenStates.read(model, Path.of(args[1]), states);
        float[] embedding = model.outputEmbedding();
        float[] bias = model.outputBias();

        double[] norm = new double[items];
        for (int i = 0; i < items; i++) {
            double sq = 0;
            for (int d = 0; d < hidden; d++) {
                sq += (double) embedding[i * hidden + d] * embedding[i * hidden + d];
            }
            norm[i] = Math.sqrt(sq);
        }
        // the bound's own order: by decreasing norm
        Integer[] order = new Integer[items];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (x, y) -> Double.compare(norm[y], norm[x]));
        double[] suffixMaxBias = new double[items + 1];
        suffixMaxBias[items] = Double.NEGATIVE_INFINITY;
        for (int p = items - 1; p >= 0; p--) {
            suffixMaxBias[p] = Math.max(suffixMaxBias[p + 1], bias[order[p]]);
        }
        int head = LowRankScoreBound.defaultHeadItems(items);
        int beyondHead = items - head;
        LowRankScoreBound[] bounds = new LowRankScoreBound[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            bounds[r] = LowRankScoreBound.build(embedding, bias, items, hidden, ranks[r]);
        }

        double cutOffStops = 0;
        double[] passing = new double[ranks.length];
        double[] passingBlocks = new double[ranks.length];
        double[] lastPassing = new double[ranks.length];
        double[] scores = new double[items];
        float[] upper = new float[items];
        for (float[] h : hiddenStates) {
            double hNorm = 0;
            for (int d = 0; d < hidden; d++) {
                hNorm += (double) h[d] * h[d];
            }
            hNorm = Math.sqrt(hNorm);
            for (int i = 0; i < items; i++) {
                double s = bias[i];
                for (int d = 0; d < hidden; d++) {
                    s += (double) embedding[i * hidden + d] * h[d];
                }
                scores[i] = s;
            }
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            double threshold = sorted[items - K];
            int stop = items;
            for (int p = head; p < items; p++) {
                if (hNorm * norm[order[p]] + suffixMaxBias[p] < threshold) {
                    stop = p;
                    break;
                }
            }
            cutOffStops += stop - head;
            for (int r = 0; r < ranks.length; r++) {
                bounds[r].upperBounds(h, 1, upper);
                int count = 0;
                int last = head;
                BitSet blocks = new BitSet();
                for (int p = head; p < items; p++) {
                    if (upper[order[p]] >= threshold) {
                        count++;
                        last = p + 1;
                        blocks.set(p / BLOCK);
                    }
                }
                passing[r] += count;
                passingBlocks[r] += blocks.cardinality();
                lastPassing[r] += last - head;
            }
        }
        int n = hiddenStates.size();
        System.out.printf("%,d items (%,d beyond the head of %,d), %d hidden, %,d hidden states, top %d%n", items,
                beyondHead, head, hidden, n, K);
        System.out.printf("norm cut-off (|h| |e| + largest bias left < final k-th score) stops after %.1f%% of the items"
                + " beyond the head%n", 100 * cutOffStops / n / beyondHead);
        for (int r = 0; r < ranks.length; r++) {
            System.out.printf("rank %2d: bound reaches the final k-th score for %,.1f items beyond the head (%.3f%%), in"
                            + " %,.1f of %,d blocks of %d; the last of them after %.1f%% of the items beyond the head%n",
                    ranks[r], passing[r] / n, 100 * passing[r] / n / beyondHead, passingBlocks[r] / n,
                    (beyondHead + BLOCK - 1) / BLOCK, BLOCK, 100 * lastPassing[r] / n / beyondHead);
        }
    }
}
