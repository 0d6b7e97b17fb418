package org.streamrec.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * GRU4Rec with one GRU layer, as in the official implementation (hidasib/GRU4Rec_PyTorch_Official,
 * {@code GRU4RecModel}): item input embedding (the output embedding itself when
 * {@code constrained_embedding}), a GRU cell with PyTorch {@code nn.GRUCell} equations, and an output layer
 * {@code score(i) = h . Wy[i] + By[i]}.
 *
 * <p>Cell, gates ordered r, z, n in every {@code 3H}-wide array:
 * <pre>
 *   gx = x Wx + bx          gh = h Wh + bh
 *   r = sigmoid(gx_r + gh_r)    z = sigmoid(gx_z + gh_z)
 *   n = tanh(gx_n + r * gh_n)   h' = (1 - z) * n + z * h
 * </pre>
 *
 * <p>Serving state is the hidden vector ({@link #newSession()}), advanced in place by {@link #step}.
 * Scores skip the loss's final activation (ELU for BPR-max, softmax for cross-entropy): both are
 * strictly increasing, so rankings are the same.
 *
 * <p>The cell's forward pass is {@link GruCell}'s, shared with training. Parameters live in Java arrays, which
 * {@link Gru4RecTrainer} updates in place; item tables have
 * {@link #capacityRows} allocated rows of which {@link #itemCount()} are in use, so the item set can grow.
 * Scoring is not thread-safe while training runs, and {@link #scoreBatch} uses shared scratch buffers:
 * use one instance per thread (Flink: per subtask).
 *
 * <p>Longer than the project's ~500-line guide on purpose: the parameter arrays, the batched step and the pruned
 * top-k share one lock and the packed copies that {@link #parametersChanged} invalidates, so splitting the scoring
 * out would expose those arrays across classes. The split belongs to the model interface that serves other model
 * families, where scoring moves behind that interface.
 */
public final class Gru4RecModel implements NextItemScorer<float[]> {

    final Gru4RecParams params;
    final int hidden;
    final int inputDim;
    final boolean constrained;

    private final ItemVocabulary vocabulary;
    long[] popularity;
    int capacityRows;

    /** Output item embedding Wy, {@code [capacityRows x hidden]}; also the input embedding when constrained. */
    float[] outEmb;
    /** Output bias By, {@code [capacityRows]}. */
    float[] outBias;
    /** Separate input embedding E, {@code [capacityRows x inputDim]}, or null when constrained. */
    float[] inEmb;
    /** Input weights {@code [inputDim x 3H]}, input bias {@code [3H]}, hidden weights {@code [H x 3H]}, hidden bias {@code [3H]}. */
    float[] wIn;
    float[] bIn;
    float[] wHid;
    float[] bHid;

    long eventsSeen;
    int epochsCompleted;
    long version;
    long parentVersion;
    /** Incremented whenever parameters change, so cached native copies know when to refresh. */
    long parameterStamp;

    private float[] packedOutEmb;
    private long packedOutEmbStamp = -1;
    private int packedOutEmbRows = -1;
    /** {@link #topKRows}' pruning, built by {@link #prepareForServing}; used only while the parameters are unchanged. */
    private LowRankScoreBound scoreBound;
    private long scoreBoundStamp = -1;
    private int scoreBoundRows = -1;
    /**
     * {@link #topKRows}' work: item scores computed in full, and rows x catalogue (what scoring everything costs).
     * Written under the lock, read without it (volatile): a metrics thread must not wait for a batch.
     */
    private volatile long itemsScoredInFull;
    private volatile long itemsRanked;
    /** {@link #step}'s pre-activations and the offsets of its one row. */
    private float[] gxScratch;
    private float[] ghScratch;
    private final int[] stepInputOffset = new int[1];
    private static final int[] STEP_STATE_OFFSET = {0};
    /** Stacked hidden rows of {@link #stepAll} / {@link #scoreAll}, reused between calls. */
    private float[] stackedScratch = new float[0];
    private int[] rowItemsScratch = new int[0];
    private int[] activeScratch = new int[0];
    private int[] xOffsetScratch = new int[0];
    private int[] hOffsetScratch = new int[0];
    private float[] batchGx = new float[0];
    private float[] batchGh = new float[0];
    /** One slice of scores for every row of a batch (see {@link #scoreInSlices}). */
    private float[] scoreTile = new float[0];
    /** {@link #topKRows}: each row's heap and exclusions. */
    private int[][] heapItems = new int[0][];
    private float[][] heapScores = new float[0][];
    private int[] heapSizes = new int[0];
    private int[][] excludedScratch = new int[0][];

    /** A new model with freshly initialised parameters for every item of {@code vocabulary}. */
    public static Gru4RecModel create(Gru4RecParams params, ItemVocabulary vocabulary, long[] popularity) {
        Gru4RecModel m = new Gru4RecModel(params, vocabulary, popularity, Math.max(16, vocabulary.size()));
        m.initialise();
        return m;
    }

    Gru4RecModel(Gru4RecParams params, ItemVocabulary vocabulary, long[] popularity, int capacityRows) {
        this.params = Objects.requireNonNull(params);
        this.vocabulary = Objects.requireNonNull(vocabulary);
        this.hidden = params.layers();
        this.inputDim = params.inputDim();
        this.constrained = params.constrainedEmbedding();
        if (popularity.length != vocabulary.size()) {
            throw new IllegalArgumentException("popularity has " + popularity.length + " entries for " + vocabulary.size() + " items");
        }
        this.capacityRows = capacityRows;
        this.popularity = Arrays.copyOf(popularity, capacityRows);
        this.outEmb = new float[capacityRows * hidden];
        this.outBias = new float[capacityRows];
        this.inEmb = constrained ? null : new float[capacityRows * inputDim];
        this.wIn = new float[inputDim * 3 * hidden];
        this.bIn = new float[3 * hidden];
        this.wHid = new float[hidden * 3 * hidden];
        this.bHid = new float[3 * hidden];
    }

    /**
     * Uniform ±sqrt(6/(fan_in+fan_out)) per gate block, zero biases, as the official code's default
     * ({@code compatibility_mode}) initialisation; item tables use fan = (item count, width).
     */
    private void initialise() {
        SplittableRandom rnd = new SplittableRandom(params.seed());
        int h3 = 3 * hidden;
        double sIn = Math.sqrt(6.0 / (inputDim + hidden));
        for (int d = 0; d < inputDim; d++) {
            for (int c = 0; c < h3; c++) {
                wIn[d * h3 + c] = uniform(rnd, sIn);
            }
        }
        double sHid = Math.sqrt(6.0 / (hidden + hidden));
        for (int i = 0; i < wHid.length; i++) {
            wHid[i] = uniform(rnd, sHid);
        }
        initItemRows(0, vocabulary.size());
        parameterStamp++;
    }

    /**
     * Item rows are initialised from a generator seeded by (seed, row), so a row's initial value does not
     * depend on when the item arrived: batch and incremental training of the same data start alike.
     */
    private void initItemRows(int from, int to) {
        int n = Math.max(1, vocabulary.size());
        double sOut = Math.sqrt(6.0 / (n + hidden));
        double sEmb = Math.sqrt(6.0 / (n + inputDim));
        for (int row = from; row < to; row++) {
            SplittableRandom rnd = new SplittableRandom(params.seed() * 0x9E3779B97F4A7C15L + row);
            for (int j = 0; j < hidden; j++) {
                outEmb[row * hidden + j] = uniform(rnd, sOut);
            }
            outBias[row] = 0f;
            if (!constrained) {
                for (int j = 0; j < inputDim; j++) {
                    inEmb[row * inputDim + j] = uniform(rnd, sEmb);
                }
            }
        }
    }

    private static float uniform(SplittableRandom rnd, double sigma) {
        return (float) (rnd.nextDouble() * 2 * sigma - sigma);
    }

    /**
     * Adds items (for incremental training) and returns their rows. New rows get the initial
     * distribution of {@link #create} with the grown item count; popularity starts at zero.
     */
    public int[] addItems(List<String> itemIds) {
        int before = vocabulary.size();
        int[] rows = new int[itemIds.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = vocabulary.getOrAdd(itemIds.get(i));
        }
        int after = vocabulary.size();
        if (after > before) {
            ensureCapacity(after);
            initItemRows(before, after);
            parameterStamp++;
        }
        return rows;
    }

    void ensureCapacity(int rows) {
        if (rows <= capacityRows) {
            return;
        }
        int cap = Math.max(rows, capacityRows + capacityRows / 2);
        outEmb = Arrays.copyOf(outEmb, cap * hidden);
        outBias = Arrays.copyOf(outBias, cap);
        if (!constrained) {
            inEmb = Arrays.copyOf(inEmb, cap * inputDim);
        }
        popularity = Arrays.copyOf(popularity, cap);
        capacityRows = cap;
    }

    public Gru4RecParams params() {
        return params;
    }

    public ItemVocabulary vocabulary() {
        return vocabulary;
    }

    public int hiddenSize() {
        return hidden;
    }

    @Override
    public int itemCount() {
        return vocabulary.size();
    }

    /** Training-event count of each item row (a copy). */
    public long[] popularity() {
        return Arrays.copyOf(popularity, itemCount());
    }

    /** The output item embedding Wy of the items in use, {@code [itemCount x hidden]} row-major (a copy). */
    public float[] outputEmbedding() {
        return Arrays.copyOf(outEmb, itemCount() * hidden);
    }

    /** The output bias By of the items in use, {@code [itemCount]} (a copy). */
    public float[] outputBias() {
        return Arrays.copyOf(outBias, itemCount());
    }

    public long popularityOf(int row) {
        return popularity[row];
    }

    public void addPopularity(int row, long count) {
        popularity[row] += count;
    }

    public long eventsSeen() {
        return eventsSeen;
    }

    public int epochsCompleted() {
        return epochsCompleted;
    }

    public long version() {
        return version;
    }

    public long parentVersion() {
        return parentVersion;
    }

    /** Sets the version a snapshot of this model will carry, remembering the previous one as parent. */
    public void bumpVersion(long newVersion) {
        this.parentVersion = this.version;
        this.version = newVersion;
    }

    void setCounters(long eventsSeen, int epochs, long version, long parentVersion) {
        this.eventsSeen = eventsSeen;
        this.epochsCompleted = epochs;
        this.version = version;
        this.parentVersion = parentVersion;
    }

    @Override
    public float[] newSession() {
        return new float[hidden];
    }

    /** Advances {@code state} (a hidden vector) in place by the event on item row {@code itemIndex}; no dropout. */
    @Override
    public void step(float[] state, int itemIndex) {
        if (itemIndex < 0 || itemIndex >= itemCount()) {
            throw new IndexOutOfBoundsException("item row " + itemIndex + " of " + itemCount());
        }
        if (gxScratch == null) {
            gxScratch = new float[3 * hidden];
            ghScratch = new float[3 * hidden];
        }
        stepInputOffset[0] = itemIndex * inputDim;
        GruCell.preActivations(this, inputTable(), stepInputOffset, state, STEP_STATE_OFFSET, 1, gxScratch, ghScratch);
        GruCell.update(hidden, gxScratch, ghScratch, 0, state, 0, state, 0, null, null, null, 0);
    }

    /** The input embedding table: the output embedding itself when constrained. */
    float[] inputTable() {
        return constrained ? outEmb : inEmb;
    }

    /**
     * Steps {@code rows} hidden vectors at once, stored row-major in {@code hiddenRowMajor} ({@code [rows x H]}):
     * row {@code r} by item row {@code itemRows[r]}, or not at all when that is negative. Bit-identical to
     * {@link #step} on each row: both run {@link GruCell}, whose products ({@link GateKernel}) accumulate every output
     * element over the same terms in the same order with the same float operations; only the loop nest differs: a
     * block of rows shares each loaded weight vector, so the weights are read about once per batch instead of once
     * per event, which is what bounds the per-event step at 512 units (a matrix-vector product streams all of
     * {@code Wh}; BENCHMARKS.md). Not a gemm on purpose: a BLAS kernel reorders the sums (and may block them by batch
     * size), so a session's state would depend on which micro-batch it was stepped in, and the streamed
     * recommendations would drift from the offline evaluator's.
     */
    public void stepBatch(float[] hiddenRowMajor, int[] itemRows, int rows) {
        int n = itemCount();
        int h3 = 3 * hidden;
        if (activeScratch.length < rows) {
            activeScratch = new int[rows];
            xOffsetScratch = new int[rows];
            hOffsetScratch = new int[rows];
        }
        // Only rows with a known item are stepped; they are packed so the kernel sees a dense batch.
        int active = 0;
        for (int r = 0; r < rows; r++) {
            int item = itemRows[r];
            if (item >= n) {
                throw new IndexOutOfBoundsException("item row " + item + " of " + n);
            }
            if (item >= 0) {
                activeScratch[active] = r;
                xOffsetScratch[active] = item * inputDim;
                hOffsetScratch[active] = r * hidden;
                active++;
            }
        }
        if (batchGx.length < active * h3) {
            batchGx = new float[active * h3];
            batchGh = new float[active * h3];
        }
        GruCell.preActivations(this, inputTable(), xOffsetScratch, hiddenRowMajor, hOffsetScratch, active, batchGx, batchGh);
        for (int a = 0; a < active; a++) {
            int o = activeScratch[a] * hidden;
            GruCell.update(hidden, batchGx, batchGh, a * h3, hiddenRowMajor, o, hiddenRowMajor, o, null, null, null, 0);
        }
    }

    /** {@link #stepBatch} over separate hidden vectors; same result as {@link #step} on each. */
    @Override
    public void stepAll(List<float[]> states, int[] itemIndexes) {
        int rows = states.size();
        float[] stacked = stack(states);
        if (rowItemsScratch.length < rows) {
            rowItemsScratch = new int[Math.max(rows, 2 * rowItemsScratch.length)];
        }
        System.arraycopy(itemIndexes, 0, rowItemsScratch, 0, rows);
        stepBatch(stacked, rowItemsScratch, rows);
        for (int i = 0; i < rows; i++) {
            if (itemIndexes[i] >= 0) {
                System.arraycopy(stacked, i * hidden, states.get(i), 0, hidden);
            }
        }
    }

    private float[] stack(List<float[]> states) {
        int rows = states.size();
        if (stackedScratch.length < rows * hidden) {
            stackedScratch = new float[Math.max(rows * hidden, 2 * stackedScratch.length)];
        }
        for (int i = 0; i < rows; i++) {
            System.arraycopy(states.get(i), 0, stackedScratch, i * hidden, hidden);
        }
        return stackedScratch;
    }

    /** Scores every item for each hidden vector; {@code out} is {@code [sessions x itemCount]}. */
    @Override
    public void scoreAll(List<float[]> sessions, float[] out) {
        scoreBatch(stack(sessions), sessions.size(), out);
    }

    /**
     * The serving path: each session's top {@code k} over the whole catalogue, exactly, without ever holding the
     * {@code [rows x items]} score matrix. After {@link #prepareForServing(int)} with a rank, a {@link LowRankScoreBound}
     * picks the items that can still be among the k best and only those are scored in full; otherwise (or for a batch
     * it cannot bound) the catalogue goes through in slices of {@link #sliceBlocks} blocks, each scored for all rows
     * by {@link ItemScoreKernel} into an L2-sized tile, and each row's slice, plus the bias, is offered to that row's
     * heap ({@link TopK#offer}, items in increasing order). Either way the result, ties included, is that of
     * {@link TopK#select} on {@link #scoreAll}'s rows.
     */
    @Override
    public synchronized void topKRows(List<float[]> sessions, int k, IntFunction<int[]> excluded, TopKVisitor visitor)
            throws Exception {
        int rows = sessions.size();
        if (rows == 0) {
            return;
        }
        float[] hiddenRows = stack(sessions);
        prepareHeaps(rows, k);
        for (int r = 0; r < rows; r++) {
            excludedScratch[r] = excluded.apply(r);
            heapSizes[r] = 0;
        }
        int n = itemCount();
        LowRankScoreBound bound = currentScoreBound();
        int scored = bound == null ? -1
                : bound.topK(outEmb, outBias, hiddenRows, rows, k, excludedScratch, heapItems, heapScores, heapSizes);
        if (scored >= 0) {
            itemsScoredInFull += scored;
        } else {
            scoreInSlices(hiddenRows, rows, (tile, stride, from, len) -> {
                for (int r = 0; r < rows; r++) {
                    int[] skip = excludedScratch[r];
                    heapSizes[r] = TopK.offer(tile, r * stride, outBias, from, len, from, k, skip,
                            skip == null ? 0 : skip.length, heapItems[r], heapScores[r], heapSizes[r]);
                }
            });
            itemsScoredInFull += (long) rows * n;
        }
        itemsRanked += (long) rows * n;
        for (int r = 0; r < rows; r++) {
            int count = TopK.finish(heapItems[r], heapScores[r], heapSizes[r]);
            excludedScratch[r] = null;
            visitor.row(r, heapItems[r], heapScores[r], count);
        }
    }

    /**
     * Readies this model for {@link #topKRows}, so that the first events after a model load do not pay for it: packs
     * the output embedding for the scoring kernel and builds a {@link LowRankScoreBound} of
     * {@code LowRankScoreBound.defaultRank} (32 at 100 units), unless {@link #prepareForServing(int)} already prepared
     * the current parameters. On diginetica's trained model the bound leaves about 5% of the items to score in full
     * and takes 40% off the time per event at the serving batch sizes (BENCHMARKS.md, "Pruning with a low-rank bound").
     */
    @Override
    public synchronized void prepareForServing() {
        if (!preparedForCurrentParameters()) {
            prepareForServing(LowRankScoreBound.defaultRank(hidden));
        }
    }

    /**
     * Packs the output embedding and builds a {@link LowRankScoreBound} of {@code rank} (0: none, every item scored;
     * a rank above half the width: none either). Building it takes a while (0.6-0.8 s with the packing at 43k items
     * and rank 32; {@code TrainedModelScoringBenchmark} prints it). Results are exact either way; a model whose parameters
     * change afterwards (training) scores every item again until this is called again.
     */
    public void prepareForServing(int rank) {
        prepareForServing(rank, LowRankScoreBound.defaultHeadItems(itemCount()));
    }

    /** {@link #prepareForServing(int)} with the bound's head (items always scored in full) of {@code headItems}. */
    synchronized void prepareForServing(int rank, int headItems) {
        packedOutputEmbedding();
        int n = itemCount();
        scoreBound = rank == 0 ? null : LowRankScoreBound.build(outEmb, outBias, n, hidden, rank, headItems);
        scoreBoundStamp = parameterStamp;
        scoreBoundRows = n;
    }

    private boolean preparedForCurrentParameters() {
        return scoreBoundStamp == parameterStamp && scoreBoundRows == itemCount();
    }

    private LowRankScoreBound currentScoreBound() {
        return scoreBound != null && preparedForCurrentParameters() ? scoreBound : null;
    }

    /** The rank of the pruning bound {@link #topKRows} uses now, 0 when it scores every item. */
    public synchronized int scoreBoundRank() {
        LowRankScoreBound bound = currentScoreBound();
        return bound == null || bound.abandoned() ? 0 : bound.rank;
    }

    /** Item scores {@link #topKRows} computed in full since this model was created. */
    @Override
    public long itemsScoredInFull() {
        return itemsScoredInFull;
    }

    /** Rows times catalogue size that {@link #topKRows} ranked since this model was created. */
    @Override
    public long itemsRanked() {
        return itemsRanked;
    }

    private void prepareHeaps(int rows, int k) {
        if (heapItems.length < rows || (heapItems.length > 0 && heapItems[0].length != k)) {
            int capacity = Math.max(rows, heapItems.length);
            heapItems = new int[capacity][k];
            heapScores = new float[capacity][k];
            heapSizes = new int[capacity];
            excludedScratch = new int[capacity][];
        }
    }

    /** Batches of {@link #warmUp}: enough for C2 to compile the kernels' loops and methods (it compiles after ~10^4 calls). */
    static final int WARM_UP_BATCHES = 20_000;
    /** {@link #warmUp} stops after this long even if not all batches ran (a slow or shared machine). */
    static final long WARM_UP_MAX_NANOS = 10_000_000_000L;

    /**
     * Runs {@link #stepAll} and {@link #topKRows} on batches of 1 to 12 sessions over a small random model of the same
     * kind (hidden 16, three scoring blocks of items), so that every tile of the kernels runs, until the JIT has
     * compiled them. Vector API code runs 10-100x slower before C2 compiles it: a serving job that took traffic cold
     * spent its first seconds on that and queued seconds of events (the load test's first steps). The small model keeps
     * those first, slow rounds cheap; this model is not touched.
     */
    @Override
    public int warmUp() {
        int warmHidden = 16;
        Gru4RecParams small = params.with("layers", String.valueOf(warmHidden));
        if (!constrained) {
            small = small.with("embedding", String.valueOf(warmHidden));
        }
        int items = 3 * ItemScoreKernel.INSTANCE.blockItems() - 5;
        List<String> ids = new ArrayList<>(items);
        for (int i = 0; i < items; i++) {
            ids.add("warm-up-" + i);
        }
        Gru4RecModel copy = create(small, new ItemVocabulary(ids), new long[items]);
        // Every other batch through a second copy with a pruning bound of a one-block head: the serving model scores
        // by one path or the other (--score-bound-rank), and both get compiled.
        Gru4RecModel pruned = create(small, new ItemVocabulary(ids), new long[items]);
        pruned.prepareForServing(LowRankScoreBound.defaultRank(warmHidden), ItemScoreKernel.INSTANCE.blockItems());
        List<float[]> sessions = new ArrayList<>();
        int[] itemRows = new int[12];
        long[] sink = {0};
        long deadline = System.nanoTime() + WARM_UP_MAX_NANOS;
        int batches = 0;
        try {
            while (batches < WARM_UP_BATCHES && System.nanoTime() < deadline) {
                int rows = 1 + batches % 12;
                sessions.clear();
                for (int r = 0; r < rows; r++) {
                    sessions.add(copy.newSession());
                    itemRows[r] = (batches + r) % items;
                }
                Gru4RecModel model = batches % 2 == 0 ? copy : pruned;
                model.stepAll(sessions, itemRows);
                model.topKRows(sessions, 20, r -> null, (r, top, topScores, count) -> sink[0] += top[0]);
                batches++;
            }
        } catch (Exception e) {
            throw new IllegalStateException("warm-up failed", e);
        }
        return batches;
    }

    /**
     * Full scoring into a caller's matrix (offline evaluation): {@code out[r * itemCount + i] = h_r . Wy[i] + By[i]}
     * for {@code rows} hidden vectors stored row-major in {@code hiddenRowMajor}; the same floats as {@link #topKRows}.
     */
    public synchronized void scoreBatch(float[] hiddenRowMajor, int rows, float[] out) {
        int n = itemCount();
        if (out.length < rows * n) {
            throw new IllegalArgumentException("out has " + out.length + " floats, needs " + rows * n);
        }
        if (rows == 0) {
            return;
        }
        scoreInSlices(hiddenRowMajor, rows, (tile, stride, from, len) -> {
            for (int r = 0; r < rows; r++) {
                int t = r * stride;
                int o = r * n + from;
                for (int i = 0; i < len; i++) {
                    out[o + i] = tile[t + i] + outBias[from + i];
                }
            }
        });
    }

    /** Receives the scores (without bias) of items {@code [from, from + len)} for every row, row r at {@code r * stride}. */
    @FunctionalInterface
    private interface SliceConsumer {
        void accept(float[] tile, int stride, int from, int len);
    }

    private void scoreInSlices(float[] hiddenRows, int rows, SliceConsumer consumer) {
        int n = itemCount();
        ItemScoreKernel kernel = ItemScoreKernel.INSTANCE;
        float[] packed = packedOutputEmbedding();
        int width = kernel.blockItems();
        int blocks = kernel.blocks(n);
        int slice = sliceBlocks(kernel);
        int stride = slice * width;
        if (scoreTile.length < rows * stride) {
            scoreTile = new float[rows * stride];
        }
        for (int first = 0; first < blocks; first += slice) {
            int last = Math.min(blocks, first + slice);
            kernel.scores(packed, hidden, hiddenRows, rows, first, last, scoreTile, stride);
            int from = first * width;
            consumer.accept(scoreTile, stride, from, Math.min(n, last * width) - from);
        }
    }

    /**
     * Blocks per slice: about {@link #SLICE_WEIGHT_BYTES} of packed weights, which then stay in L2 while every row of
     * the batch is scored against them, so the weights come from memory once per batch, not once per tile of rows.
     */
    private int sliceBlocks(ItemScoreKernel kernel) {
        return Math.max(1, SLICE_WEIGHT_BYTES / (hidden * kernel.blockItems() * Float.BYTES));
    }

    static final int SLICE_WEIGHT_BYTES = 256 * 1024;

    /** The output embedding in {@link ItemScoreKernel}'s layout, packed again after each parameter change. */
    private float[] packedOutputEmbedding() {
        int n = itemCount();
        if (packedOutEmb == null || packedOutEmbStamp != parameterStamp || packedOutEmbRows != n) {
            packedOutEmb = ItemScoreKernel.INSTANCE.pack(outEmb, n, hidden);
            packedOutEmbStamp = parameterStamp;
            packedOutEmbRows = n;
        }
        return packedOutEmb;
    }

    /** Marks parameters as changed (called by the trainer after each update). */
    void parametersChanged() {
        parameterStamp++;
    }
}
