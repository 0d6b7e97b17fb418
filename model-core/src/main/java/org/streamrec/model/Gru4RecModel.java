package org.streamrec.model;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.ndarray.INDArray;

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
 * <p>Parameters live in Java arrays, which {@link Gru4RecTrainer} updates in place; item tables have
 * {@link #capacityRows} allocated rows of which {@link #itemCount()} are in use, so the item set can grow.
 * Scoring is not thread-safe while training runs, and {@link #scoreBatch} uses shared native buffers:
 * use one instance per thread (Flink: per subtask).
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

    private NativeMatrix nativeOutEmb;
    private long nativeOutEmbStamp = -1;
    private int nativeOutEmbRows = -1;
    private NativeMatrix scoreHidden;
    private NativeMatrix scoreOut;
    private float[] gxScratch;
    private float[] ghScratch;

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
        int h3 = 3 * hidden;
        if (gxScratch == null) {
            gxScratch = new float[h3];
            ghScratch = new float[h3];
        }
        float[] gx = gxScratch;
        float[] gh = ghScratch;
        System.arraycopy(bIn, 0, gx, 0, h3);
        System.arraycopy(bHid, 0, gh, 0, h3);
        float[] table = constrained ? outEmb : inEmb;
        int base = itemIndex * inputDim;
        // axpy order (row of x times a row of W) keeps the inner loop contiguous, so C2 vectorises it.
        for (int d = 0; d < inputDim; d++) {
            float xd = table[base + d];
            if (xd != 0f) {
                int w = d * h3;
                for (int c = 0; c < h3; c++) {
                    gx[c] += xd * wIn[w + c];
                }
            }
        }
        for (int d = 0; d < hidden; d++) {
            float hd = state[d];
            if (hd != 0f) {
                int w = d * h3;
                for (int c = 0; c < h3; c++) {
                    gh[c] += hd * wHid[w + c];
                }
            }
        }
        for (int j = 0; j < hidden; j++) {
            float r = sigmoid(gx[j] + gh[j]);
            float z = sigmoid(gx[hidden + j] + gh[hidden + j]);
            float n = (float) Math.tanh(gx[2 * hidden + j] + r * gh[2 * hidden + j]);
            state[j] = (1f - z) * n + z * state[j];
        }
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** Scores every item for each hidden vector in one gemm; {@code out} is {@code [sessions x itemCount]}. */
    @Override
    public void scoreAll(List<float[]> sessions, float[] out) {
        int rows = sessions.size();
        float[] stacked = new float[rows * hidden];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(sessions.get(i), 0, stacked, i * hidden, hidden);
        }
        scoreBatch(stacked, rows, out);
    }

    /**
     * Raw scoring for the serving operator: {@code out[r * itemCount + i] = h_r . Wy[i] + By[i]} for
     * {@code rows} hidden vectors stored row-major in {@code hiddenRowMajor}, as one {@code Nd4j.gemm}.
     */
    public synchronized void scoreBatch(float[] hiddenRowMajor, int rows, float[] out) {
        int n = itemCount();
        if (out.length < rows * n) {
            throw new IllegalArgumentException("out has " + out.length + " floats, needs " + rows * n);
        }
        if (rows == 0) {
            return;
        }
        INDArray weights = nativeOutputEmbedding();
        if (scoreHidden == null) {
            scoreHidden = new NativeMatrix((long) rows * hidden);
            scoreOut = new NativeMatrix((long) rows * n);
        }
        INDArray h = scoreHidden.matrix(rows, hidden);
        scoreHidden.put(hiddenRowMajor, rows * hidden);
        INDArray s = scoreOut.matrix(rows, n);
        NativeMatrix.gemm(h, weights, s, false, true);
        scoreOut.get(out, rows * n);
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int i = 0; i < n; i++) {
                out[o + i] += outBias[i];
            }
        }
    }

    private INDArray nativeOutputEmbedding() {
        int n = itemCount();
        if (nativeOutEmb == null) {
            nativeOutEmb = new NativeMatrix((long) n * hidden);
        }
        INDArray view = nativeOutEmb.matrix(n, hidden);
        if (nativeOutEmbStamp != parameterStamp || nativeOutEmbRows != n) {
            nativeOutEmb.put(outEmb, n * hidden);
            nativeOutEmbStamp = parameterStamp;
            nativeOutEmbRows = n;
        }
        return view;
    }

    /** Marks parameters as changed (called by the trainer after each update). */
    void parametersChanged() {
        parameterStamp++;
    }
}
