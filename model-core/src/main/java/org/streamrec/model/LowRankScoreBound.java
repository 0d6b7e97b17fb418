package org.streamrec.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact top-k without scoring the whole catalogue: a bound on every item's score from a rank-{@code m} projection of
 * the output embedding, so only the items that could still be in the top k are scored in full.
 *
 * <p>With a basis {@code V} ({@code m x H}, the embedding's top principal directions), each item is {@code e_i =
 * V^T p_i + r_i} with {@code p_i = V e_i} and each hidden vector {@code h = V^T q + g} with {@code q = V h}. Then
 * {@code h . e_i = q . p_i + q^T (V V^T - I) p_i + q . (V r_i) + (V g) . p_i + g . r_i}, and every term after the
 * first is bounded by norms: {@code |score_i - q . p_i - bias_i| <= |g| |r_i| + M tau_i}, where {@code M} depends
 * on the row only and {@code tau_i} on the item only (it also absorbs every float rounding of the scores and of this
 * bound, with a wide margin). The {@code m}-wide products {@code q . p_i} are a small gemm on the packed {@code p}.
 * Items go by decreasing norm: the first ({@link #defaultHeadItems}) are scored in full, which gives each row's heap
 * a k-th best score; after them, only items whose upper bound reaches the heap's current k-th score are scored in
 * full, by the same fused-multiply-add chain as {@link ItemScoreKernel#scores}, and a row ends once no item left can
 * reach it even by Cauchy-Schwarz ({@code |h| |e_i|} plus the largest bias left). The k-th score only rises, so the
 * result, ties included, is that of scoring every item; what the basis decides is only how many items get scored in
 * full. Where the embedding's energy is concentrated in a few directions, few are: at 100 units on diginetica's
 * trained model and real sessions' hidden states, 5% of the items at rank 32, nearly all of them the head
 * ({@code TrainedModelScoringBenchmark}; BENCHMARKS.md, "Pruning with a low-rank bound").
 *
 * <p>Not thread-safe: one instance per model version; the model's lock covers its scratch arrays.
 *
 * <p>Longer than the project's ~500-line guide on purpose: one algorithm whose basis build, per-item terms and pruned
 * scan share the packed arrays and the margin they were computed with; split apart, each part would have to trust
 * the others' layout without the bound's proof next to it.
 */
final class LowRankScoreBound {

    /**
     * Relative margin, per item, against float rounding: the scores' own ({@code hidden} fused multiply-adds, at most
     * {@code hidden * 2^-24} of {@code |h||e_i|}), the rank-m products' and this bound's arithmetic. Exceeds all of
     * them for widths up to a few hundred units; {@link #margin} widens it beyond.
     */
    private static final double BASE_MARGIN = 1e-4;
    /** Items sampled for the basis: it only needs to be good, not exact, and this caps the build's cost. */
    private static final int BASIS_SAMPLE = 16_384;
    private static final int SUBSPACE_ITERATIONS = 40;
    /**
     * Items tested against one threshold before the candidates among them are scored: small enough that the threshold
     * rises soon while a heap is still filling (a head shorter than k), large enough that the calls cost nothing.
     */
    private static final int CANDIDATE_CHUNK = 512;
    /**
     * Above this share of item scores computed in full, the bound costs more than it saves (its rank-m products, the
     * head and the scattered reads of the candidates' rows against one pass of the full kernel; on diginetica's
     * model it computes 5%), so after {@link #PROBE_ROWS} rows it gives up and the model scores every item: a model
     * whose embedding has no low-rank structure (a fresh one, say) does not get slower than without the bound.
     */
    static final double MAX_USEFUL_SHARE = 0.25;
    static final int PROBE_ROWS = 256;
    private static final Logger LOG = LoggerFactory.getLogger(LowRankScoreBound.class);

    final int items;
    final int hidden;
    final int rank;
    /** {@code V} ({@code rank x hidden}, floats) in double, row-major and column-major. */
    private final double[] basisRows;
    private final double[] basisColumns;
    /**
     * Item order of everything below: by decreasing norm ({@code positionItem[position]} is the item row).
     */
    private final int[] positionItem;
    /** The bias in that order (a copy: the model's changes only with a new bound). */
    private final float[] orderedBias;
    /** The first {@link #headItems} positions' embedding rows in {@link ItemScoreKernel}'s packed layout. */
    private final float[] packedHead;
    private final int headItems;
    private final int headBlocks;
    /** {@code p_i = V e_i} in {@link ItemScoreKernel}'s packed layout, {@code rank} wide. */
    private final float[] packedProjection;
    private final int projectionBlocks;
    /** Blocks of the projection per slice: its weights stay in L2 while every row is scored against them. */
    private final int sliceBlocks;
    /** {@code bias_i} plus its own rounding margin, rounded up. */
    private final float[] upperBias;
    /** {@code |r_i|}, rounded up. */
    private final float[] residualNorm;
    /** {@code tau_i}: what multiplies the row's {@code M}, rounded up. */
    private final float[] itemSlack;
    /** {@code |e_i|}, rounded up: decreasing, since it is the order. */
    private final float[] itemNorm;
    /** The largest {@link #upperBias} from each position on. */
    private final float[] suffixMaxUpperBias;
    /** Factor on {@code |h| |e_i|} that covers a score's rounding. */
    private final double normMargin;

    private long probedRows;
    private long probedScores;
    private boolean abandoned;

    // Scratch, reused between calls.
    private float[] projectedRows = new float[0];
    private final double[] rowResidual;
    private final double[] rowProducts;
    private final double[] rowSplit = new double[SPLIT_NORMS];
    private float[] projectedTile = new float[0];
    private float[] headTile = new float[0];
    private float[] rowSlack = new float[0];
    private float[] rowNorm = new float[0];
    private final int[] candidatePositions;
    private int[] gatherOffsets = new int[0];
    private int[] gatherItems = new int[0];
    private float[] gatherScores = new float[0];

    private LowRankScoreBound(int items, int hidden, int rank, double[] basisRows, double[] basisColumns,
                              float[] packedProjection,
                              int[] positionItem, float[] orderedBias, float[] packedHead, int headItems,
                              float[] upperBias, float[] residualNorm, float[] itemSlack, float[] itemNorm) {
        ItemScoreKernel kernel = ItemScoreKernel.INSTANCE;
        this.items = items;
        this.hidden = hidden;
        this.rank = rank;
        this.basisRows = basisRows;
        this.basisColumns = basisColumns;
        this.positionItem = positionItem;
        this.orderedBias = orderedBias;
        this.packedHead = packedHead;
        this.headItems = headItems;
        this.headBlocks = kernel.blocks(headItems);
        this.packedProjection = packedProjection;
        this.projectionBlocks = kernel.blocks(items);
        this.upperBias = upperBias;
        this.residualNorm = residualNorm;
        this.itemSlack = itemSlack;
        this.itemNorm = itemNorm;
        this.suffixMaxUpperBias = new float[items];
        float max = Float.NEGATIVE_INFINITY;
        for (int pos = items - 1; pos >= 0; pos--) {
            max = Math.max(max, upperBias[pos]);
            suffixMaxUpperBias[pos] = max;
        }
        this.normMargin = 1 + 2 * margin(hidden, rank);
        this.sliceBlocks = Math.max(1, Gru4RecModel.SLICE_WEIGHT_BYTES / (rank * kernel.blockItems() * Float.BYTES));
        this.candidatePositions = new int[CANDIDATE_CHUNK];
        this.rowResidual = new double[hidden];
        this.rowProducts = new double[rank];
    }

    /**
     * A rank for {@code hidden} units: about a third of them, a multiple of 8. At 100 units on diginetica's trained
     * model, 32 left 1.2% of the items to score in full, 24 left 25% and 40 0.3% (TrainedModelScoringBenchmark).
     */
    static int defaultRank(int hidden) {
        return Math.max(8, (int) Math.round(hidden / 3.0 / 8.0) * 8);
    }

    /**
     * Items scored in full before any is pruned, the first by norm: enough to give each row a threshold near its final
     * one (at 43k items the 2,048 longest rows are 4.75% of the catalogue, and on diginetica's trained model the
     * bound then leaves 0.26% of the items to score beyond them; TrainedModelScoringBenchmark).
     */
    static int defaultHeadItems(int items) {
        return Math.max(256, Math.min(2048, items / 16));
    }

    /**
     * The bound for the first {@code items} rows of {@code embedding} ({@code hidden} wide) and {@code bias}, or null
     * when it cannot help: a rank above half the width, or a non-finite parameter (the full scan handles NaN).
     */
    static LowRankScoreBound build(float[] embedding, float[] bias, int items, int hidden, int rank) {
        return build(embedding, bias, items, hidden, rank, defaultHeadItems(items));
    }

    /** {@link #build(float[], float[], int, int, int)} with {@code head} items (rounded down to blocks) scored in full. */
    static LowRankScoreBound build(float[] embedding, float[] bias, int items, int hidden, int rank, int head) {
        if (rank <= 0 || 2 * rank > hidden || items == 0) {
            return null;
        }
        for (int i = 0; i < items * hidden; i++) {
            if (!Float.isFinite(embedding[i])) {
                return null;
            }
        }
        for (int i = 0; i < items; i++) {
            if (!Float.isFinite(bias[i])) {
                return null;
            }
        }
        float[] basis = principalBasis(embedding, items, hidden, rank);
        float[] projection = new float[items * rank];
        float[] residualNorm = new float[items];
        float[] itemSlack = new float[items];
        float[] upperBias = new float[items];
        float[] itemNorm = new float[items];
        double[] normSq = new double[items];
        double margin = margin(hidden, rank);
        double skew = basisSkew(basis, rank, hidden);
        double[] residual = new double[hidden];
        double[] products = new double[rank];
        double[] split = new double[SPLIT_NORMS];
        double[] basisRows = widen(basis, rank, hidden, false);
        double[] basisColumns = widen(basis, rank, hidden, true);
        for (int i = 0; i < items; i++) {
            split(basisRows, basisColumns, rank, hidden, embedding, i * hidden, projection, i * rank, residual, products,
                    split);
            double eNorm = Math.sqrt(split[X_NORM_SQ]);
            double pNorm = Math.sqrt(split[P_NORM_SQ]);
            normSq[i] = split[X_NORM_SQ];
            itemNorm[i] = roundUp(eNorm);
            residualNorm[i] = roundUp(Math.sqrt(split[R_NORM_SQ]));
            // tau_i: |p_i| ||V V^T - I|| + |V r_i| + |p_i| (for (V g) . p_i) + the rounding margin on |p_i| and |e_i|.
            itemSlack[i] = roundUp(pNorm * skew + Math.sqrt(split[VR_NORM_SQ]) + margin * (pNorm + eNorm));
            upperBias[i] = ceilToFloat(bias[i] + margin * Math.abs(bias[i]) + Float.MIN_NORMAL);
        }
        // Items by decreasing norm: the likely high scorers come first, in the head scored in full, so each row's
        // threshold is near its final value before the first item is pruned.
        int[] positionItem = java.util.stream.IntStream.range(0, items).boxed()
                .sorted((x, y) -> Double.compare(normSq[y], normSq[x])).mapToInt(Integer::intValue).toArray();
        ItemScoreKernel kernel = ItemScoreKernel.INSTANCE;
        int headItems = head >= items ? items
                : Math.min(items, Math.max(1, head / kernel.blockItems()) * kernel.blockItems());
        float[] orderedProjection = new float[items * rank];
        float[] orderedHead = new float[headItems * hidden];
        for (int pos = 0; pos < items; pos++) {
            int item = positionItem[pos];
            System.arraycopy(projection, item * rank, orderedProjection, pos * rank, rank);
            if (pos < headItems) {
                System.arraycopy(embedding, item * hidden, orderedHead, pos * hidden, hidden);
            }
        }
        return new LowRankScoreBound(items, hidden, rank, basisRows, basisColumns, kernel.pack(orderedProjection, items, rank),
                positionItem, permute(bias, positionItem), kernel.pack(orderedHead, headItems, hidden), headItems,
                permute(upperBias, positionItem), permute(residualNorm, positionItem), permute(itemSlack, positionItem),
                permute(itemNorm, positionItem));
    }

    private static float[] permute(float[] byItem, int[] positionItem) {
        float[] byPosition = new float[byItem.length];
        for (int pos = 0; pos < byItem.length; pos++) {
            byPosition[pos] = byItem[positionItem[pos]];
        }
        return byPosition;
    }

    private static final int X_NORM_SQ = 0;
    private static final int P_NORM_SQ = 1;
    private static final int R_NORM_SQ = 2;
    private static final int VR_NORM_SQ = 3;
    private static final int SPLIT_NORMS = 4;

    /**
     * Splits {@code x = x[offset .. offset + hidden)} as {@code x = V^T p + r}: writes {@code p = fl(V x)} to
     * {@code p[pOffset ..]} and {@code r} (exact from that float {@code p}, in double) to {@code residual}, and puts
     * {@code |x|^2}, {@code |p|^2}, {@code |r|^2}, {@code |V r|^2} into {@code normsSq} (indexes {@link #X_NORM_SQ}
     * ...). Items ({@link #build}) and hidden rows ({@link #project}) are split alike: the bound is symmetric in them.
     * The products with {@code V} run along its columns ({@code basisColumns}, {@code hidden x rank}), loops without
     * a running sum that the JIT vectorises: a serving batch splits every row.
     */
    private static void split(double[] basisRows, double[] basisColumns, int rank, int hidden, float[] x, int offset,
                              float[] p, int pOffset, double[] residual, double[] products, double[] normsSq) {
        for (int d = 0; d < hidden; d++) {
            residual[d] = x[offset + d];
        }
        double xSq = projectColumns(basisColumns, rank, hidden, residual, products);
        double pSq = 0;
        for (int j = 0; j < rank; j++) {
            float pj = (float) products[j];
            p[pOffset + j] = pj;
            pSq += (double) pj * pj;
            int row = j * hidden;
            for (int d = 0; d < hidden; d++) {
                residual[d] -= basisRows[row + d] * pj;
            }
        }
        double rSq = projectColumns(basisColumns, rank, hidden, residual, products);
        double vrSq = 0;
        for (int j = 0; j < rank; j++) {
            vrSq += products[j] * products[j];
        }
        normsSq[X_NORM_SQ] = xSq;
        normsSq[P_NORM_SQ] = pSq;
        normsSq[R_NORM_SQ] = rSq;
        normsSq[VR_NORM_SQ] = vrSq;
    }

    /** {@code V v} into {@code products} ({@code rank}); returns {@code |v|^2}. */
    private static double projectColumns(double[] basisColumns, int rank, int hidden, double[] v, double[] products) {
        Arrays.fill(products, 0, rank, 0);
        double sumSq = 0;
        for (int d = 0; d < hidden; d++) {
            double vd = v[d];
            sumSq += vd * vd;
            int column = d * rank;
            for (int j = 0; j < rank; j++) {
                products[j] += basisColumns[column + j] * vd;
            }
        }
        return sumSq;
    }

    /** {@code a[aOffset ..] . b[bOffset ..]} over {@code length} floats, in double. */
    private static double dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        double sum = 0;
        for (int d = 0; d < length; d++) {
            sum += (double) a[aOffset + d] * b[bOffset + d];
        }
        return sum;
    }

    /** {@code V} in double, row-major ({@code rank x hidden}) or, with {@code columns}, column-major. */
    private static double[] widen(float[] basis, int rank, int hidden, boolean columns) {
        double[] wide = new double[rank * hidden];
        for (int j = 0; j < rank; j++) {
            for (int d = 0; d < hidden; d++) {
                wide[columns ? d * rank + j : j * hidden + d] = basis[j * hidden + d];
            }
        }
        return wide;
    }

    private static double margin(int hidden, int rank) {
        return Math.max(BASE_MARGIN, 8.0 * (Math.max(hidden, rank) + 2) * 0x1p-24);
    }

    /** Frobenius norm of {@code V V^T - I}, an upper bound of its spectral norm. */
    private static double basisSkew(float[] basis, int rank, int hidden) {
        double sumSq = 0;
        for (int a = 0; a < rank; a++) {
            for (int b = 0; b < rank; b++) {
                double diff = dot(basis, a * hidden, basis, b * hidden, hidden) - (a == b ? 1 : 0);
                sumSq += diff * diff;
            }
        }
        return Math.sqrt(sumSq) * (1 + 1e-9);
    }

    /** A non-negative {@code value} plus a relative 1e-6, rounded up to a float. */
    private static float roundUp(double value) {
        return ceilToFloat(value * (1 + 1e-6));
    }

    /** The least float not below {@code value}, of either sign. */
    private static float ceilToFloat(double value) {
        float f = (float) value;
        return f < value ? Math.nextUp(f) : f;
    }

    /**
     * The top {@code rank} eigenvectors of {@code E^T E} (over a sample of items) by orthogonal (subspace) iteration.
     * Hand-written rather than a library call because its accuracy only decides how much gets pruned, never the
     * result, and a 100x100 problem does not justify starting ND4J's native backend in the serving job (which
     * otherwise does not use it).
     */
    private static float[] principalBasis(float[] embedding, int items, int hidden, int rank) {
        int step = Math.max(1, items / BASIS_SAMPLE);
        double[] gram = new double[hidden * hidden];
        for (int i = 0; i < items; i += step) {
            int e = i * hidden;
            for (int a = 0; a < hidden; a++) {
                double ea = embedding[e + a];
                if (ea != 0) {
                    for (int b = a; b < hidden; b++) {
                        gram[a * hidden + b] += ea * embedding[e + b];
                    }
                }
            }
        }
        for (int a = 0; a < hidden; a++) {
            for (int b = 0; b < a; b++) {
                gram[a * hidden + b] = gram[b * hidden + a];
            }
        }
        SplittableRandom random = new SplittableRandom(hidden * 31L + rank);
        double[] q = new double[rank * hidden];
        for (int i = 0; i < q.length; i++) {
            q[i] = random.nextDouble() - 0.5;
        }
        orthonormalise(q, rank, hidden);
        double[] next = new double[rank * hidden];
        for (int iteration = 0; iteration < SUBSPACE_ITERATIONS; iteration++) {
            for (int j = 0; j < rank; j++) {
                for (int a = 0; a < hidden; a++) {
                    double sum = 0;
                    for (int b = 0; b < hidden; b++) {
                        sum += gram[a * hidden + b] * q[j * hidden + b];
                    }
                    next[j * hidden + a] = sum;
                }
            }
            System.arraycopy(next, 0, q, 0, q.length);
            orthonormalise(q, rank, hidden);
        }
        float[] basis = new float[rank * hidden];
        for (int i = 0; i < basis.length; i++) {
            basis[i] = (float) q[i];
        }
        return basis;
    }

    /**
     * Modified Gram-Schmidt (twice) on the rows; a row that vanishes (a rank above the data's) is replaced by the first
     * unit vector that does not, which exists because {@code count < width}.
     */
    private static void orthonormalise(double[] rows, int count, int width) {
        for (int j = 0; j < count; j++) {
            for (int attempt = 0; ; attempt++) {
                if (attempt > 0) {
                    Arrays.fill(rows, j * width, (j + 1) * width, 0);
                    rows[j * width + (j + attempt) % width] = 1;
                }
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i < j; i++) {
                        double dot = 0;
                        for (int d = 0; d < width; d++) {
                            dot += rows[i * width + d] * rows[j * width + d];
                        }
                        for (int d = 0; d < width; d++) {
                            rows[j * width + d] -= dot * rows[i * width + d];
                        }
                    }
                }
                double norm = 0;
                for (int d = 0; d < width; d++) {
                    norm += rows[j * width + d] * rows[j * width + d];
                }
                norm = Math.sqrt(norm);
                if (norm > 1e-9 || attempt >= width) {
                    for (int d = 0; d < width; d++) {
                        rows[j * width + d] /= norm;
                    }
                    break;
                }
            }
        }
    }

    /**
     * Each row's top {@code k} into its heap ({@code heapItems[r]}, {@code heapScores[r]}, sizes into
     * {@code heapSizes}): the result of offering every item's score, {@code embedding . h + bias}, to
     * {@link TopK#offer} in item order; returns how many items were scored in full, or -1, having done nothing, when a
     * row is not finite or k is not below the catalogue (the caller then scores every item).
     *
     * <p>First the head (the longest item rows) is scored in full by the packed kernel, which gives each row's heap a
     * k-th score; then the rest of the catalogue goes by in L2-sized slices: the slice's rank-m products for every
     * row, then per row the items whose upper bound reaches the heap's k-th score, found by one vector compare per
     * lane group and scored in full by {@link ItemScoreKernel#gatherScores}. The heap's k-th score only rises, so an
     * item whose upper bound is below it at any point cannot be among the final k, not even by a tie.
     */
    int topK(float[] embedding, float[] bias, float[] hiddenRows, int rows, int k, int[][] excluded,
             int[][] heapItems, float[][] heapScores, int[] heapSizes) {
        if (abandoned || k <= 0 || k >= items) {
            return -1;
        }
        if (!project(hiddenRows, rows)) {
            return -1;
        }
        int scored = scoreHead(hiddenRows, rows, k, excluded, heapItems, heapScores, heapSizes);
        int stride = sliceStride(rows);
        ThresholdScan scan = ThresholdScan.INSTANCE;
        for (int first = headBlocks; first < projectionBlocks; first += sliceBlocks) {
            int from = first * ItemScoreKernel.INSTANCE.blockItems();
            if (everyRowExhausted(rows, from, k, heapScores, heapSizes)) {
                break;
            }
            int len = projectSlice(first, rows, stride);
            for (int r = 0; r < rows; r++) {
                for (int chunk = 0; chunk < len; chunk += CANDIDATE_CHUNK) {
                    float threshold = heapSizes[r] == k ? heapScores[r][0] : Float.NEGATIVE_INFINITY;
                    if (exhausted(r, from + chunk, threshold)) {
                        break;
                    }
                    int count = scan.collectUpperAtLeast(projectedTile, r * stride + chunk, upperBias, residualNorm,
                            itemSlack, from + chunk, Math.min(CANDIDATE_CHUNK, len - chunk), rowSlack[2 * r],
                            rowSlack[2 * r + 1], threshold, candidatePositions);
                    if (count > 0) {
                        heapSizes[r] = scoreCandidates(embedding, bias, hiddenRows, r, count, k, excluded[r],
                                heapItems[r], heapScores[r], heapSizes[r]);
                        scored += count;
                    }
                }
            }
        }
        probe(rows, scored);
        return scored;
    }

    /** Whether {@link #topK} gave up on this model ({@link #MAX_USEFUL_SHARE}); it then always returns -1. */
    boolean abandoned() {
        return abandoned;
    }

    private void probe(int rows, int scored) {
        if (probedRows >= PROBE_ROWS) {
            return;
        }
        probedRows += rows;
        probedScores += scored;
        if (probedRows >= PROBE_ROWS && probedScores > MAX_USEFUL_SHARE * probedRows * items) {
            abandoned = true;
            LOG.info("Pruning bound of rank {} switched off: over its first {} rows it computed {}% of the item scores "
                    + "in full (the model's embedding is not low-rank enough), so every item is scored instead", rank,
                    probedRows, String.format("%.1f", 100.0 * probedScores / ((double) probedRows * items)));
        }
    }

    /**
     * Whether no item from {@code pos} on can reach {@code threshold} for row {@code r}: by Cauchy-Schwarz, none
     * scores above {@code |h| |e_pos|} (the longest row left) plus the largest bias left.
     */
    private boolean exhausted(int r, int pos, float threshold) {
        return (double) rowNorm[r] * itemNorm[pos] * normMargin + suffixMaxUpperBias[pos] < threshold;
    }

    private boolean everyRowExhausted(int rows, int pos, int k, float[][] heapScores, int[] heapSizes) {
        for (int r = 0; r < rows; r++) {
            if (heapSizes[r] < k || !exhausted(r, pos, heapScores[r][0])) {
                return false;
            }
        }
        return true;
    }

    /** The head's items scored in full and offered to every row's (empty) heap; returns how many were scored. */
    private int scoreHead(float[] hiddenRows, int rows, int k, int[][] excluded, int[][] heapItems,
                          float[][] heapScores, int[] heapSizes) {
        int stride = headBlocks * ItemScoreKernel.INSTANCE.blockItems();
        if (headTile.length < rows * stride) {
            headTile = new float[rows * stride];
        }
        ItemScoreKernel.INSTANCE.scores(packedHead, hidden, hiddenRows, rows, 0, headBlocks, headTile, stride);
        ThresholdScan scan = ThresholdScan.INSTANCE;
        for (int r = 0; r < rows; r++) {
            int[] skip = excluded[r];
            int skipCount = skip == null ? 0 : skip.length;
            int[] items = heapItems[r];
            float[] scores = heapScores[r];
            int base = r * stride;
            int size = 0;
            float below = Float.NEGATIVE_INFINITY;
            for (int pos = scan.firstAbove(headTile, base, orderedBias, 0, 0, headItems, below); pos < headItems;
                 pos = scan.firstAbove(headTile, base, orderedBias, 0, pos + 1, headItems, below)) {
                size = TopK.offerOne(positionItem[pos], headTile[base + pos] + orderedBias[pos], k, skip, skipCount,
                        items, scores, size);
                if (size == k) {
                    // ties with the k-th score still compete on the item index
                    below = Math.nextDown(scores[0]);
                }
            }
            heapSizes[r] = size;
        }
        return rows * headItems;
    }

    /** The row stride of {@link #projectedTile} for {@code rows} rows, having made room for them. */
    private int sliceStride(int rows) {
        int stride = sliceBlocks * ItemScoreKernel.INSTANCE.blockItems();
        if (projectedTile.length < rows * stride) {
            projectedTile = new float[rows * stride];
        }
        return stride;
    }

    /**
     * The rank-m products of every row with the items of the slice starting at block {@code first} into
     * {@link #projectedTile}; returns how many items the slice has.
     */
    private int projectSlice(int first, int rows, int stride) {
        ItemScoreKernel kernel = ItemScoreKernel.INSTANCE;
        int last = Math.min(projectionBlocks, first + sliceBlocks);
        kernel.scores(packedProjection, rank, projectedRows, rows, first, last, projectedTile, stride);
        return Math.min(items, last * kernel.blockItems()) - first * kernel.blockItems();
    }

    /**
     * The first {@code count} of {@link #candidatePositions} scored in full for row {@code r} and offered to its heap;
     * returns the heap's size.
     */
    private int scoreCandidates(float[] embedding, float[] bias, float[] hiddenRows, int r, int count, int k,
                                int[] skip, int[] heapItems, float[] heapScores, int size) {
        if (gatherItems.length < count) {
            gatherItems = new int[candidatePositions.length];
            gatherOffsets = new int[ItemScoreKernel.INSTANCE.gatherCapacity(candidatePositions.length)];
            gatherScores = new float[gatherOffsets.length];
        }
        for (int j = 0; j < count; j++) {
            int item = positionItem[candidatePositions[j]];
            gatherItems[j] = item;
            gatherOffsets[j] = item * hidden;
        }
        ItemScoreKernel.INSTANCE.gatherScores(embedding, hidden, hiddenRows, r * hidden, gatherOffsets, count,
                gatherScores);
        int skipCount = skip == null ? 0 : skip.length;
        for (int j = 0; j < count; j++) {
            int item = gatherItems[j];
            size = TopK.offerOne(item, gatherScores[j] + bias[item], k, skip, skipCount, heapItems, heapScores, size);
        }
        return size;
    }

    /**
     * Every item's upper bound for each row ({@code [rows x items]}, by item), as {@link #topK} computes it: for tests
     * of the bound itself. Returns false when a row is not finite.
     */
    boolean upperBounds(float[] hiddenRows, int rows, float[] upperOut) {
        if (!project(hiddenRows, rows)) {
            return false;
        }
        int stride = sliceStride(rows);
        for (int first = 0; first < projectionBlocks; first += sliceBlocks) {
            int from = first * ItemScoreKernel.INSTANCE.blockItems();
            int len = projectSlice(first, rows, stride);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < len; i++) {
                    int pos = from + i;
                    upperOut[r * items + positionItem[pos]] = ThresholdScan.upperBound(projectedTile[r * stride + i],
                            upperBias[pos], residualNorm[pos], itemSlack[pos], rowSlack[2 * r], rowSlack[2 * r + 1]);
                }
            }
        }
        return true;
    }

    /**
     * {@code q = V h} of each row into {@link #projectedRows}, and the row's two slack coefficients, {@code |g|} and
     * {@code M}, rounded up, into {@link #rowSlack}. False when a row is not finite.
     */
    private boolean project(float[] hiddenRows, int rows) {
        if (projectedRows.length < rows * rank) {
            projectedRows = new float[rows * rank];
            rowSlack = new float[2 * rows];
            rowNorm = new float[rows];
        }
        for (int r = 0; r < rows; r++) {
            split(basisRows, basisColumns, rank, hidden, hiddenRows, r * hidden, projectedRows, r * rank, rowResidual,
                    rowProducts, rowSplit);
            // h = V^T q + g: |g| multiplies |r_i|; M = |q| + |h| + |V g| multiplies tau_i. The 1e-5 covers the float
            // rounding of the slack's own products and sums.
            double gNorm = Math.sqrt(rowSplit[R_NORM_SQ]) * (1 + 1e-5);
            double m = (Math.sqrt(rowSplit[P_NORM_SQ]) + Math.sqrt(rowSplit[X_NORM_SQ])
                    + Math.sqrt(rowSplit[VR_NORM_SQ])) * (1 + 1e-5);
            if (!(gNorm < Float.MAX_VALUE / 4) || !(m < Float.MAX_VALUE / 4)) {
                return false;
            }
            rowSlack[2 * r] = roundUp(gNorm);
            rowSlack[2 * r + 1] = roundUp(m);
            rowNorm[r] = roundUp(Math.sqrt(rowSplit[X_NORM_SQ]));
        }
        return true;
    }
}
