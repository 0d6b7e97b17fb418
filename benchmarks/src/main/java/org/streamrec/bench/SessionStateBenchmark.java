package org.streamrec.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * One event's keyed-state round trip in the serving job, as Flink's RocksDB backend performs it for a
 * {@code ValueState}: {@code value()} = get + deserialize, {@code update()} = serialize + put (WAL off, as Flink
 * writes). Done here with Flink's own POJO serializer and the RocksDB build Flink ships (frocksdbjni) directly,
 * without a Flink runtime: the key is a key-group prefix plus the serialized user id as in Flink, but column
 * family, block cache and managed-memory settings are RocksDB defaults, not Flink's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class SessionStateBenchmark {

    private static final int USERS = 10_000;

    @Param({"100", "512"})
    public int hidden;

    @Param({"5", "50"})
    public int sessionItems;

    private Path dir;
    private Options options;
    private WriteOptions writeOptions;
    private RocksDB db;
    private TypeSerializer<SessionStateShape> serializer;
    private byte[][] keys;
    private int[] order;
    private int next;
    private final DataOutputSerializer out = new DataOutputSerializer(4096);
    private final DataInputDeserializer in = new DataInputDeserializer();

    @Setup
    public void setUp() throws IOException, RocksDBException {
        RocksDB.loadLibrary();
        serializer = TypeInformation.of(SessionStateShape.class).createSerializer(new SerializerConfigImpl());
        if (!(serializer instanceof PojoSerializer)) {
            throw new IllegalStateException("expected Flink's POJO serializer, got " + serializer.getClass());
        }
        dir = Files.createTempDirectory("streamrec-state-bench");
        options = new Options().setCreateIfMissing(true);
        writeOptions = new WriteOptions().setDisableWAL(true);
        db = RocksDB.open(options, dir.toString());
        keys = new byte[USERS][];
        for (int u = 0; u < USERS; u++) {
            DataOutputSerializer key = new DataOutputSerializer(32);
            key.writeShort(u % 128);
            StringSerializer.INSTANCE.serialize("user-" + u, key);
            keys[u] = key.getCopyOfBuffer();
            db.put(writeOptions, keys[u], serialize(session(u)));
        }
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush);
        }
        SplittableRandom random = new SplittableRandom(BenchModels.SEED + 8);
        order = new int[1 << 16];
        for (int i = 0; i < order.length; i++) {
            order[i] = random.nextInt(USERS);
        }
    }

    private SessionStateShape session(int user) {
        SessionStateShape s = new SessionStateShape();
        s.sessionId = "user-" + user + "@1763892930123";
        s.producerSessionId = null;
        s.items = new String[sessionItems];
        for (int i = 0; i < sessionItems; i++) {
            s.items[i] = Integer.toString(214_839_875 + 7919 * (user + i));
        }
        s.hidden = BenchModels.uniform(hidden, user);
        s.modelVersion = 12;
        s.lastEventTime = 1_763_892_930_123L;
        return s;
    }

    private byte[] serialize(SessionStateShape state) throws IOException {
        out.clear();
        serializer.serialize(state, out);
        return out.getCopyOfBuffer();
    }

    /** Read a random user's session, advance it as an event would, write it back. */
    @Benchmark
    public SessionStateShape getDeserializeSerializePut() throws IOException, RocksDBException {
        byte[] key = keys[order[next]];
        next = (next + 1) & (order.length - 1);
        in.setBuffer(db.get(key));
        SessionStateShape state = serializer.deserialize(in);
        state.lastEventTime++;
        db.put(writeOptions, key, serialize(state));
        return state;
    }

    @TearDown
    public void tearDown() throws IOException {
        db.close();
        writeOptions.close();
        options.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
