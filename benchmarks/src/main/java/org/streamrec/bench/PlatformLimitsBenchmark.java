package org.streamrec.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What this machine can deliver, measured by the same harness as the kernels, so each kernel can be stated as a
 * fraction of its limit: single-precision gemm as ND4J delivers it ({@code Nd4j.gemm} on preallocated native
 * matrices of the scoring shapes, no copies), and memory bandwidth (a streaming sum over an on-heap
 * {@code float[]} and an off-heap buffer), and the core's peak fused multiply-add rate through the Vector API
 * ({@code fmaPeak}). The secondary results {@code :gflop} and {@code :gbyte} (ops/s) are
 * GFLOP/s and GB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:MaxDirectMemorySize=2g",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class PlatformLimitsBenchmark {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** Floating-point work done, as a JMH secondary result; reset every iteration so each reports its own rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    /** Bytes streamed, as a JMH secondary result. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double gbyte;

        @Setup(Level.Iteration)
        public void reset() {
            gbyte = 0;
        }
    }

    /** Scoring shape: {@code [batch x hidden] x [items x hidden]^T -> [batch x items]}. */
    @State(Scope.Thread)
    public static class GemmShape {
        @Param({"1", "8", "32", "128", "512"})
        public int batch;

        @Param({"10000", "43097", "100000"})
        public int items;

        @Param({"100", "512"})
        public int hidden;

        INDArray hiddenRows;
        INDArray weights;
        INDArray out;
        double gflopPerCall;

        @Setup
        public void setUp() {
            BenchModels.requireSingleBlasThread();
            hiddenRows = Nd4j.create(BenchModels.uniform(batch * hidden, BenchModels.SEED + 5), new long[] {batch, hidden}, 'c');
            weights = Nd4j.create(BenchModels.uniform(items * hidden, BenchModels.SEED + 6), new long[] {items, hidden}, 'c');
            out = Nd4j.createUninitialized(DataType.FLOAT, batch, items);
            gflopPerCall = 2.0 * batch * items * hidden / 1e9;
        }
    }

    /** A streamed array much larger than the caches when {@code megabytes} is large. */
    @State(Scope.Thread)
    public static class Stream {
        @Param({"16", "1024"})
        public int megabytes;

        float[] heap;
        ByteBuffer direct;
        INDArray nd4j;
        double gbytePerCall;

        @Setup
        public void setUp() {
            int floats = megabytes * (1 << 20) / Float.BYTES;
            heap = BenchModels.uniform(floats, BenchModels.SEED + 7);
            direct = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
            direct.asFloatBuffer().put(heap);
            nd4j = Nd4j.create(heap, new long[] {floats}, 'c');
            gbytePerCall = (double) floats * Float.BYTES / 1e9;
        }
    }

    @Benchmark
    public INDArray sgemm(GemmShape shape, Flops work) {
        Nd4j.gemm(shape.hiddenRows, shape.weights, shape.out, false, true, 1.0, 0.0);
        work.gflop += shape.gflopPerCall;
        return shape.out;
    }

    /**
     * Peak fused multiply-add rate of one core through the Vector API: 16 independent accumulator vectors (enough to
     * hide the FMA latency on two FMA ports) updated from registers only, 1,000 rounds per call. This is the compute
     * ceiling of the scoring kernel, which does the same FMAs but also loads weights and broadcasts hidden values.
     */
    @Benchmark
    public float fmaPeak(Flops work) {
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-7f);
        FloatVector a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c;
        FloatVector a8 = c, a9 = c, a10 = c, a11 = c, a12 = c, a13 = c, a14 = c, a15 = c;
        for (int i = 0; i < FMA_ROUNDS; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
            a12 = a12.fma(m, c);
            a13 = a13.fma(m, c);
            a14 = a14.fma(m, c);
            a15 = a15.fma(m, c);
        }
        work.gflop += FMA_ROUNDS * 16.0 * SPECIES.length() * 2 / 1e9;
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .add(a12).add(a13).add(a14).add(a15).reduceLanes(VectorOperators.ADD);
    }

    private static final int FMA_ROUNDS = 1000;

    // Four independent accumulators: one would make the sum wait on the latency of each vector add.
    @Benchmark
    public float sumHeapArray(Stream stream, Bytes work) {
        float[] a = stream.heap;
        int step = SPECIES.length();
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int i = 0;
        for (int end = a.length - 4 * step; i <= end; i += 4 * step) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + step));
            s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * step));
            s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * step));
        }
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) {
            sum += a[i];
        }
        work.gbyte += stream.gbytePerCall;
        return sum;
    }

    /** ND4J's own native reduction over an off-heap array: the bandwidth native kernels see. */
    @Benchmark
    public Number sumNd4j(Stream stream, Bytes work) {
        Number sum = stream.nd4j.sumNumber();
        work.gbyte += stream.gbytePerCall;
        return sum;
    }

    @Benchmark
    public float sumOffHeap(Stream stream, Bytes work) {
        ByteBuffer b = stream.direct;
        int limit = b.capacity();
        int step = SPECIES.vectorByteSize();
        ByteOrder order = ByteOrder.nativeOrder();
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int i = 0;
        for (int end = limit - 4 * step; i <= end; i += 4 * step) {
            s0 = s0.add(FloatVector.fromByteBuffer(SPECIES, b, i, order));
            s1 = s1.add(FloatVector.fromByteBuffer(SPECIES, b, i + step, order));
            s2 = s2.add(FloatVector.fromByteBuffer(SPECIES, b, i + 2 * step, order));
            s3 = s3.add(FloatVector.fromByteBuffer(SPECIES, b, i + 3 * step, order));
        }
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < limit; i += Float.BYTES) {
            sum += b.getFloat(i);
        }
        work.gbyte += stream.gbytePerCall;
        return sum;
    }
}
