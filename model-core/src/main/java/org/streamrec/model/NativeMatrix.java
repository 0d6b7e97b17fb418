package org.streamrec.model;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A reusable off-heap float buffer that is handed to {@code Nd4j.gemm} as row-major matrices of varying
 * shape. The model keeps its parameters in Java arrays (the per-event GRU math and the sparse Adagrad
 * updates are element-wise loops, docs/ARCHITECTURE.md, "Platform facts"); only the big matrix products go to ND4J, and their
 * operands are bulk-copied in and out of these buffers. Reusing buffers matters: ND4J frees native memory
 * only when the GC collects the wrappers (docs/ARCHITECTURE.md, "Platform facts"). Not thread-safe.
 */
final class NativeMatrix {

    private DataBuffer buffer;
    private FloatBuffer nio;
    private long capacity;
    private final Map<Long, INDArray> views = new HashMap<>();

    NativeMatrix(long initialCapacity) {
        allocate(Math.max(1, initialCapacity));
    }

    private void allocate(long cap) {
        INDArray backing = Nd4j.createUninitialized(DataType.FLOAT, cap);
        buffer = backing.data();
        nio = buffer.asNioFloat();
        capacity = cap;
        views.clear();
    }

    /** A {@code rows x cols} row-major view of the buffer (grows it when needed; contents are then lost). */
    INDArray matrix(int rows, int cols) {
        long needed = (long) rows * cols;
        if (needed > capacity) {
            allocate(Math.max(needed, capacity + capacity / 2));
        }
        long key = ((long) rows << 32) | (cols & 0xffffffffL);
        INDArray view = views.get(key);
        if (view == null) {
            view = Nd4j.create(buffer, new long[] {rows, cols}, new long[] {cols, 1}, 0L, 'c');
            views.put(key, view);
        }
        return view;
    }

    /** Copies {@code src[offset..offset+len)} to the start of the buffer. */
    void put(float[] src, int offset, int len) {
        FloatBuffer b = nio.duplicate();
        b.position(0);
        b.put(src, offset, len);
    }

    void put(float[] src, int len) {
        put(src, 0, len);
    }

    /** Copies {@code len} floats from the start of the buffer to {@code dst[offset..)}. */
    void get(float[] dst, int offset, int len) {
        FloatBuffer b = nio.duplicate();
        b.position(0);
        b.get(dst, offset, len);
    }

    /** Copies {@code len} floats from buffer position {@code from} to the start of {@code dst}. */
    void getFrom(long from, float[] dst, int len) {
        FloatBuffer b = nio.duplicate();
        b.position(Math.toIntExact(from));
        b.get(dst, 0, len);
    }

    void get(float[] dst, int len) {
        get(dst, 0, len);
    }

    /** Shape-checked row-major product {@code c = op(a) * op(b)} through {@link Nd4j#gemm}. */
    static void gemm(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB) {
        Nd4j.gemm(a, b, c, transposeA, transposeB, 1.0, 0.0);
    }
}
