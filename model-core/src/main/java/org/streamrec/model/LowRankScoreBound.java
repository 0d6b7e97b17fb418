package org.streamrec.model;

import java.util.Arrays;
import java.util.SplittableRandom;

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
 * The k-th best lower bound then is a threshold that the k-th best score cannot fall below, and only items whose
 * upper bound reaches it are scored in full, by the same fused-multiply-add chain as {@link ItemScoreKernel#scores}.
 * So the result, ties included, is that of scoring every item; what the basis decides is only how many items get
 * scored in full. Where the embedding's energy is concentrated in a few directions, few are: at 100 units on
 * diginetica's trained model and real sessions' hidden states, 1.2% of the items at rank 32
 * ({@code TrainedModelScoringBenchmark}). That
 * did not make it faster than scoring everything at serving batch sizes on this project's machine: the bound's own
 * passes over the catalogue and the scattered reads of the candidates' rows cost about what the full kernel saves
 * (BENCHMARKS.md, "Pruning with a low-rank bound"); so the serving path does not build it by default.
 *
 * <p>Not thread-safe: one instance per model version; the model's lock covers its scratch arrays.
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

    final int items;
    final int hidden;
    final int rank;
    /** {@code V}, {@code rank x hidden}, row-major. */
    private final float[] basis;
    /**
     * Item order of everything below: by decreasing norm ({@code positionItem[position]} is the item row,
     * {@code itemPosition} the inverse).
     */
    private final int[] positionItem;
    private final int[] itemPosition;
    /** The bias in that order (a copy: the model's changes only with a new bound). */
    private final float[] orderedBias;
    /** {@code p_i = V e_i} in {@link ItemScoreKernel}'s packed layout, {@code rank} wide. */
    private final float[] packedProjection;
    private final int projectionBlocks;
    /** Blocks of the projection per slice: its weights stay in L2 while every row is scored against them. */
    private final int sliceBlocks;
    /** {@code |r_i|}, rounded up. */
    private final float[] residualNorm;
    /** {@code tau_i}: what multiplies the row's {@code M}, plus the bias' own margin, rounded up. */
    private final float[] itemSlack;
    private final float[] biasMargin;

    // Scratch, reused between calls.
    private float[] projectedRows = new float[0];
    private final double[] rowResidual;
    private final double[] rowSplit = new double[SPLIT_NORMS];
    private float[] projectedTile = new float[0];
    private final float[] sliceLower;
    private final float[] sliceUpper;
    private float[] rowSlack = new float[0];
    private int[][] boundHeapItems = new int[0][];
    private float[][] boundHeapScores = new float[0][];
    private int[] boundHeapSizes = new int[0];
    private int[][] candidates = new int[0][];
    private float[][] candidateUppers = new float[0][];
    private int[] candidateCounts = new int[0];
    private int[][] excludedPositions = new int[0][];
    private int[] gatherOffsets = new int[0];
    private int[] gatherItems = new int[0];
    private float[] gatherScores = new float[0];


    private LowRankScoreBound(int items, int hidden, int rank, float[] basis, float[] packedProjection,
                              int[] positionItem, int[] itemPosition, float[] orderedBias,
                              float[] residualNorm, float[] itemSlack, float[] biasMargin) {
        this.positionItem = positionItem;
        this.itemPosition = itemPosition;
        this.orderedBias = orderedBias;
        this.items = items;
        this.hidden = hidden;
        this.rank = rank;
        this.basis = basis;
        this.packedProjection = packedProjection;
        this.projectionBlocks = ItemScoreKernel.INSTANCE.blocks(items);
        this.residualNorm = residualNorm;
        this.itemSlack = itemSlack;
        this.biasMargin = biasMargin;
        this.sliceBlocks = Math.max(1, Gru4RecModel.SLICE_WEIGHT_BYTES
                / (rank * ItemScoreKernel.INSTANCE.blockItems() * Float.BYTES));
        this.sliceLower = new float[sliceBlocks * ItemScoreKernel.INSTANCE.blockItems()];
        this.sliceUpper = new float[sliceLower.length];
        this.rowResidual = new double[hidden];
    }

    /**
     * A rank for {@code hidden} units: about a third of them, a multiple of 8. At 100 units on diginetica's trained
     * model, 32 left 1.2% of the items to score in full, 24 left 25% and 40 0.3% (TrainedModelScoringBenchmark).
     */
    static int defaultRank(int hidden) {
        return Math.max(8, (int) Math.round(hidden / 3.0 / 8.0) * 8);
    }

    /**
     * The bound for the first {@code items} rows of {@code embedding} ({@code hidden} wide) and {@code bias}, or null
     * when it cannot help: a rank above half the width, or a non-finite parameter (the full scan handles NaN).
     */
    static LowRankScoreBound build(float[] embedding, float[] bias, int items, int hidden, int rank) {
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
        float[] biasMargin = new float[items];
        double[] normSq = new double[items];
        double margin = margin(hidden, rank);
        double skew = basisSkew(basis, rank, hidden);
        double[] residual = new double[hidden];
        double[] split = new double[SPLIT_NORMS];
        for (int i = 0; i < items; i++) {
            split(basis, rank, hidden, embedding, i * hidden, projection, i * rank, residual, split);
            double eNorm = Math.sqrt(split[X_NORM_SQ]);
            double pNorm = Math.sqrt(split[P_NORM_SQ]);
            normSq[i] = split[X_NORM_SQ];
            residualNorm[i] = roundUp(Math.sqrt(split[R_NORM_SQ]));
            // tau_i: |p_i| ||V V^T - I|| + |V r_i| + |p_i| (for (V g) . p_i) + the rounding margin on |p_i| and |e_i|.
            itemSlack[i] = roundUp(pNorm * skew + Math.sqrt(split[VR_NORM_SQ]) + margin * (pNorm + eNorm));
            biasMargin[i] = roundUp(margin * Math.abs(bias[i]) + Float.MIN_NORMAL);
        }
        // Items by decreasing norm: the likely high scorers come first, so each row's threshold is near its final
        // value after the first slice and few items after it pass as candidates.
        int[] positionItem = java.util.stream.IntStream.range(0, items).boxed()
                .sorted((x, y) -> Double.compare(normSq[y], normSq[x])).mapToInt(Integer::intValue).toArray();
        float[] orderedProjection = new float[items * rank];
        float[] orderedBias = new float[items];
        int[] itemPosition = new int[items];
        for (int pos = 0; pos < items; pos++) {
            int item = positionItem[pos];
            itemPosition[item] = pos;
            System.arraycopy(projection, item * rank, orderedProjection, pos * rank, rank);
            orderedBias[pos] = bias[item];
        }
        float[] packed = ItemScoreKernel.INSTANCE.pack(orderedProjection, items, rank);
        return new LowRankScoreBound(items, hidden, rank, basis, packed, positionItem, itemPosition, orderedBias,
                permute(residualNorm, positionItem), permute(itemSlack, positionItem), permute(biasMargin, positionItem));
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
     */
    private static void split(float[] basis, int rank, int hidden, float[] x, int offset, float[] p, int pOffset,
                              double[] residual, double[] normsSq) {
        double xSq = 0;
        for (int d = 0; d < hidden; d++) {
            residual[d] = x[offset + d];
            xSq += residual[d] * residual[d];
        }
        double pSq = 0;
        for (int j = 0; j < rank; j++) {
            float pj = (float) dot(basis, j * hidden, x, offset, hidden);
            p[pOffset + j] = pj;
            pSq += (double) pj * pj;
            for (int d = 0; d < hidden; d++) {
                residual[d] -= (double) basis[j * hidden + d] * pj;
            }
        }
        double rSq = 0;
        for (int d = 0; d < hidden; d++) {
            rSq += residual[d] * residual[d];
        }
        double vrSq = 0;
        for (int j = 0; j < rank; j++) {
            double vr = 0;
            for (int d = 0; d < hidden; d++) {
                vr += basis[j * hidden + d] * residual[d];
            }
            vrSq += vr * vr;
        }
        normsSq[X_NORM_SQ] = xSq;
        normsSq[P_NORM_SQ] = pSq;
        normsSq[R_NORM_SQ] = rSq;
        normsSq[VR_NORM_SQ] = vrSq;
    }

    /** {@code a[aOffset ..] . b[bOffset ..]} over {@code length} floats, in double. */
    private static double dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        double sum = 0;
        for (int d = 0; d < length; d++) {
            sum += (double) a[aOffset + d] * b[bOffset + d];
        }
        return sum;
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

    private static float roundUp(double value) {
        float f = (float) (value * (1 + 1e-6));
        return f < value * (1 + 1e-6) ? Math.nextUp(f) : f;
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
     * <p>One pass over the catalogue in L2-sized slices, as the full scoring does: each slice's rank-m products for
     * every row, then per row the slice's bounds (in L1), its lower bounds offered to a heap whose k-th value is the
     * row's threshold so far, and the items whose upper bound reaches that threshold kept as candidates. The
     * threshold only rises, so after the pass the candidates are filtered against the final one and scored in full.
     */
    int topK(float[] embedding, float[] bias, float[] hiddenRows, int rows, int k, int[][] excluded,
             int[][] heapItems, float[][] heapScores, int[] heapSizes) {
        if (k <= 0 || k >= items) {
            return -1;
        }
        prepareRows(rows, k);
        if (!project(hiddenRows, rows)) {
            return -1;
        }
        int stride = sliceStride(rows);
        for (int r = 0; r < rows; r++) {
            boundHeapSizes[r] = 0;
            candidateCounts[r] = 0;
            int[] skip = excluded[r];
            if (skip == null) {
                excludedPositions[r] = null;
            } else {
                if (excludedPositions[r] == null || excludedPositions[r].length != skip.length) {
                    excludedPositions[r] = new int[skip.length];
                }
                for (int j = 0; j < skip.length; j++) {
                    excludedPositions[r][j] = skip[j] >= 0 && skip[j] < items ? itemPosition[skip[j]] : -1;
                }
            }
        }
        ThresholdScan scan = ThresholdScan.INSTANCE;
        for (int first = 0; first < projectionBlocks; first += sliceBlocks) {
            int from = first * ItemScoreKernel.INSTANCE.blockItems();
            int len = projectSlice(first, rows, stride);
            for (int r = 0; r < rows; r++) {
                sliceBounds(r, from, len, stride);
                int[] skip = excludedPositions[r];
                int skipCount = skip == null ? 0 : skip.length;
                int size = TopK.offer(sliceLower, 0, null, 0, len, from, k, skip, skipCount,
                        boundHeapItems[r], boundHeapScores[r], boundHeapSizes[r]);
                boundHeapSizes[r] = size;
                float below = Math.nextDown(size == k ? boundHeapScores[r][0] : Float.NEGATIVE_INFINITY);
                for (int i = scan.firstAbove(sliceUpper, 0, null, 0, 0, len, below); i < len;
                     i = scan.firstAbove(sliceUpper, 0, null, 0, i + 1, len, below)) {
                    addCandidate(r, from + i, sliceUpper[i]);
                }
            }
        }
        int scored = 0;
        for (int r = 0; r < rows; r++) {
            scored += scoreCandidates(embedding, bias, hiddenRows, r, k, excluded[r], heapItems[r], heapScores[r],
                    heapSizes);
        }
        return scored;
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

    private void prepareRows(int rows, int k) {
        int heap = boundHeapItems.length == 0 ? 0 : boundHeapItems[0].length;
        if (boundHeapSizes.length >= rows && heap >= k) {
            return;
        }
        int capacity = Math.max(rows, boundHeapSizes.length);
        heap = Math.max(k, heap);
        boundHeapItems = new int[capacity][heap];
        boundHeapScores = new float[capacity][heap];
        boundHeapSizes = new int[capacity];
        int[][] grownCandidates = Arrays.copyOf(candidates, capacity);
        float[][] grownUppers = Arrays.copyOf(candidateUppers, capacity);
        for (int r = candidates.length; r < capacity; r++) {
            grownCandidates[r] = new int[256];
            grownUppers[r] = new float[256];
        }
        candidates = grownCandidates;
        candidateUppers = grownUppers;
        candidateCounts = new int[capacity];
        excludedPositions = new int[capacity][];
        rowSlack = new float[2 * capacity];
    }

    private void addCandidate(int r, int item, float upper) {
        int count = candidateCounts[r];
        if (count == candidates[r].length) {
            candidates[r] = Arrays.copyOf(candidates[r], 2 * count);
            candidateUppers[r] = Arrays.copyOf(candidateUppers[r], 2 * count);
        }
        candidates[r][count] = item;
        candidateUppers[r][count] = upper;
        candidateCounts[r] = count + 1;
    }

    /**
     * Row {@code r}'s lower and upper bounds of the items at positions {@code [from, from + len)} into {@link #sliceLower}
     * and {@link #sliceUpper}, from its rank-m products in {@link #projectedTile}.
     */
    private void sliceBounds(int r, int from, int len, int stride) {
        float gNorm = rowSlack[2 * r];
        float m = rowSlack[2 * r + 1];
        float[] a = projectedTile;
        int base = r * stride;
        for (int i = 0; i < len; i++) {
            int pos = from + i;
            float slack = gNorm * residualNorm[pos] + m * itemSlack[pos] + biasMargin[pos];
            float centre = a[base + i] + orderedBias[pos];
            sliceLower[i] = centre - slack;
            sliceUpper[i] = centre + slack;
        }
    }

    /**
     * The candidates of row {@code r} whose upper bound reaches its final threshold, scored in full, into its heap
     * (its size into {@code heapSizes[r]}); returns how many were scored.
     */
    private int scoreCandidates(float[] embedding, float[] bias, float[] hiddenRows, int r, int k, int[] skip,
                                int[] heapItems, float[] heapScores, int[] heapSizes) {
        float threshold = boundHeapSizes[r] == k ? boundHeapScores[r][0] : Float.NEGATIVE_INFINITY;
        int total = candidateCounts[r];
        if (gatherItems.length < total) {
            gatherItems = new int[total];
            gatherOffsets = new int[total];
            gatherScores = new float[total];
        }
        int count = 0;
        int[] rowCandidates = candidates[r];
        float[] uppers = candidateUppers[r];
        for (int j = 0; j < total; j++) {
            if (uppers[j] >= threshold) {
                int item = positionItem[rowCandidates[j]];
                gatherItems[count] = item;
                gatherOffsets[count] = item * hidden;
                count++;
            }
        }
        ItemScoreKernel.INSTANCE.gatherScores(embedding, hidden, hiddenRows, r * hidden, gatherOffsets, count,
                gatherScores);
        int skipCount = skip == null ? 0 : skip.length;
        int size = 0;
        for (int j = 0; j < count; j++) {
            int item = gatherItems[j];
            size = TopK.offerOne(item, gatherScores[j] + bias[item], k, skip, skipCount, heapItems, heapScores, size);
        }
        heapSizes[r] = size;
        return count;
    }

    /**
     * Every item's lower and upper bound for each row ({@code [rows x items]} each), as {@link #topK} computes them:
     * for tests of the bound itself. Returns false when a row is not finite.
     */
    boolean bounds(float[] hiddenRows, int rows, float[] lowerOut, float[] upperOut) {
        prepareRows(rows, 1);
        if (!project(hiddenRows, rows)) {
            return false;
        }
        int stride = sliceStride(rows);
        for (int first = 0; first < projectionBlocks; first += sliceBlocks) {
            int from = first * ItemScoreKernel.INSTANCE.blockItems();
            int len = projectSlice(first, rows, stride);
            for (int r = 0; r < rows; r++) {
                sliceBounds(r, from, len, stride);
                for (int i = 0; i < len; i++) {
                    lowerOut[r * items + positionItem[from + i]] = sliceLower[i];
                    upperOut[r * items + positionItem[from + i]] = sliceUpper[i];
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
        }
        for (int r = 0; r < rows; r++) {
            split(basis, rank, hidden, hiddenRows, r * hidden, projectedRows, r * rank, rowResidual, rowSplit);
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
        }
        return true;
    }
}
