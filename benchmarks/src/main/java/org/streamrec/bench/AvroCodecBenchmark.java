package org.streamrec.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/**
 * Kafka payload costs through {@link AvroCodec}, the codec both jobs use: a click event as it arrives (decode
 * includes the codec's body walk that guards against corrupt lengths) and a top-20 recommendation as it leaves.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class AvroCodecBenchmark {

    private static final Instant EVENT_TIME = Instant.parse("2026-11-23T10:15:30.123Z");

    private AvroCodec<ClickEvent> clickCodec;
    private AvroCodec<Recommendation> recommendationCodec;
    private ClickEvent click;
    private Recommendation recommendation;
    private byte[] clickBytes;
    private byte[] recommendationBytes;

    @Setup
    public void setUp() {
        clickCodec = AvroCodec.clickEvents();
        recommendationCodec = AvroCodec.recommendations();
        click = ClickEvent.newBuilder()
                .setEventId("evt-000000042")
                .setUserId("user-1234567")
                .setSessionId("sess-98765")
                .setItemId("214839875")
                .setEventType(EventType.CLICK)
                .setEventTime(EVENT_TIME)
                .setContext(Map.of("page", "product", "device", "mobile"))
                .build();
        List<RecommendedItem> top = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            top.add(new RecommendedItem(Integer.toString(214_839_875 + 7919 * i), 3.5f - 0.1f * i));
        }
        recommendation = Recommendation.newBuilder()
                .setTriggeringEventId("evt-000000042")
                .setUserId("user-1234567")
                .setSessionId("sess-98765")
                .setItems(top)
                .setModelVersion(12)
                .setStrategy(RecommendationStrategy.MODEL)
                .setEventTime(EVENT_TIME)
                .setEmitTime(EVENT_TIME.plusMillis(3))
                .build();
        clickBytes = clickCodec.encode(click);
        recommendationBytes = recommendationCodec.encode(recommendation);
        if (!(clickCodec.decodeAndValidate(clickBytes) instanceof DecodeResult.Decoded)
                || !(recommendationCodec.decode(recommendationBytes) instanceof DecodeResult.Decoded)) {
            throw new IllegalStateException("benchmark records do not round-trip");
        }
    }

    @Benchmark
    public byte[] clickEventEncode() {
        return clickCodec.encode(click);
    }

    @Benchmark
    public DecodeResult<ClickEvent> clickEventDecode() {
        return clickCodec.decode(clickBytes);
    }

    @Benchmark
    public DecodeResult<ClickEvent> clickEventDecodeAndValidate() {
        return clickCodec.decodeAndValidate(clickBytes);
    }

    @Benchmark
    public byte[] recommendationEncode() {
        return recommendationCodec.encode(recommendation);
    }

    @Benchmark
    public DecodeResult<Recommendation> recommendationDecode() {
        return recommendationCodec.decode(recommendationBytes);
    }
}
