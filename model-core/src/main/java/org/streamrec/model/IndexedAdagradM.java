package org.streamrec.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adagrad with momentum, the official GRU4Rec optimizer ({@code IndexedAdagradM} in
 * hidasib/GRU4Rec_PyTorch_Official, eps 1e-6): per parameter {@code acc += g^2; mom = mu*mom - lr*g/sqrt(acc+eps);
 * w += mom}, a plain Adagrad step when {@code mu = 0}. Dense for the GRU weights and biases; sparse for the item
 * tables, where only the rows in the step's {@link Gru4RecGradients} (duplicates already summed) are updated. Holds the
 * accumulators and momenta, laid out like the parameters; item tables grow with the model. Not thread-safe.
 */
final class IndexedAdagradM {

    static final float EPS = 1e-6f;

    private final Gru4RecModel model;
    private final int hidden;
    private final int inputDim;

    private final float[] accWIn;
    private final float[] momWIn;
    private final float[] accBIn;
    private final float[] momBIn;
    private final float[] accWHid;
    private final float[] momWHid;
    private final float[] accBHid;
    private final float[] momBHid;
    private float[] accOut = new float[0];
    private float[] momOut = new float[0];
    private float[] accBias = new float[0];
    private float[] momBias = new float[0];
    private float[] accEmb = new float[0];
    private float[] momEmb = new float[0];
    private int itemRows;

    IndexedAdagradM(Gru4RecModel model) {
        this.model = model;
        this.hidden = model.hidden;
        this.inputDim = model.inputDim;
        int h3 = 3 * hidden;
        this.accWIn = new float[model.wIn.length];
        this.momWIn = new float[model.wIn.length];
        this.accBIn = new float[h3];
        this.momBIn = new float[h3];
        this.accWHid = new float[model.wHid.length];
        this.momWHid = new float[model.wHid.length];
        this.accBHid = new float[h3];
        this.momBHid = new float[h3];
        ensureItemRows();
    }

    /** Grows the item tables' state to the model's allocated rows (new rows start at zero). */
    void ensureItemRows() {
        int rows = model.capacityRows;
        if (rows <= itemRows) {
            return;
        }
        accOut = Arrays.copyOf(accOut, rows * hidden);
        momOut = Arrays.copyOf(momOut, rows * hidden);
        accBias = Arrays.copyOf(accBias, rows);
        momBias = Arrays.copyOf(momBias, rows);
        if (!model.constrained) {
            accEmb = Arrays.copyOf(accEmb, rows * inputDim);
            momEmb = Arrays.copyOf(momEmb, rows * inputDim);
        }
        itemRows = rows;
    }

    /** Applies one step of {@code g} to the model's parameters. */
    void apply(Gru4RecGradients g, float lr, float mu) {
        update(model.wIn, g.wIn, accWIn, momWIn, 0, 0, g.wIn.length, lr, mu);
        update(model.bIn, g.bIn, accBIn, momBIn, 0, 0, g.bIn.length, lr, mu);
        update(model.wHid, g.wHid, accWHid, momWHid, 0, 0, g.wHid.length, lr, mu);
        update(model.bHid, g.bHid, accBHid, momBHid, 0, 0, g.bHid.length, lr, mu);
        for (int i = 0; i < g.outCount; i++) {
            update(model.outEmb, g.out, accOut, momOut, g.outRowIds[i] * hidden, i * hidden, hidden, lr, mu);
        }
        for (int i = 0; i < g.biasCount; i++) {
            update(model.outBias, g.bias, accBias, momBias, g.biasRowIds[i], i, 1, lr, mu);
        }
        for (int i = 0; i < g.embCount; i++) {
            update(model.inEmb, g.emb, accEmb, momEmb, g.embRowIds[i] * inputDim, i * inputDim, inputDim, lr, mu);
        }
    }

    /**
     * Updates {@code w[wOff..wOff+len)} (and its state at the same offsets) by the gradient at {@code g[gOff..)}:
     * {@code acc += g^2; mom = mu*mom - lr*g/sqrt(acc+eps); w += mom}, or {@code w -= lr*g/sqrt(acc+eps)} when
     * {@code mu = 0} (no momentum state touched).
     */
    static void update(float[] w, float[] g, float[] acc, float[] mom, int wOff, int gOff, int len, float lr, float mu) {
        if (mu > 0) {
            for (int i = 0; i < len; i++) {
                float gi = g[gOff + i];
                float a = acc[wOff + i] + gi * gi;
                acc[wOff + i] = a;
                float v = mu * mom[wOff + i] - lr * gi / (float) Math.sqrt(a + EPS);
                mom[wOff + i] = v;
                w[wOff + i] += v;
            }
        } else {
            for (int i = 0; i < len; i++) {
                float gi = g[gOff + i];
                float a = acc[wOff + i] + gi * gi;
                acc[wOff + i] = a;
                w[wOff + i] -= lr * gi / (float) Math.sqrt(a + EPS);
            }
        }
    }

    /** Accumulators and momenta by snapshot file name; item tables cut to {@code items} rows. */
    Map<String, ModelSnapshot.TensorRef> state(int items) {
        ensureItemRows();
        Map<String, ModelSnapshot.TensorRef> m = new LinkedHashMap<>();
        m.put("acc_gru_w_in.f32", new ModelSnapshot.TensorRef(accWIn, accWIn.length));
        m.put("mom_gru_w_in.f32", new ModelSnapshot.TensorRef(momWIn, momWIn.length));
        m.put("acc_gru_b_in.f32", new ModelSnapshot.TensorRef(accBIn, accBIn.length));
        m.put("mom_gru_b_in.f32", new ModelSnapshot.TensorRef(momBIn, momBIn.length));
        m.put("acc_gru_w_hid.f32", new ModelSnapshot.TensorRef(accWHid, accWHid.length));
        m.put("mom_gru_w_hid.f32", new ModelSnapshot.TensorRef(momWHid, momWHid.length));
        m.put("acc_gru_b_hid.f32", new ModelSnapshot.TensorRef(accBHid, accBHid.length));
        m.put("mom_gru_b_hid.f32", new ModelSnapshot.TensorRef(momBHid, momBHid.length));
        m.put("acc_out_embedding.f32", new ModelSnapshot.TensorRef(accOut, items * hidden));
        m.put("mom_out_embedding.f32", new ModelSnapshot.TensorRef(momOut, items * hidden));
        m.put("acc_out_bias.f32", new ModelSnapshot.TensorRef(accBias, items));
        m.put("mom_out_bias.f32", new ModelSnapshot.TensorRef(momBias, items));
        if (!model.constrained) {
            m.put("acc_in_embedding.f32", new ModelSnapshot.TensorRef(accEmb, items * inputDim));
            m.put("mom_in_embedding.f32", new ModelSnapshot.TensorRef(momEmb, items * inputDim));
        }
        return m;
    }
}
