package org.streamrec.flink.io;

import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.ClickEventRules;
import org.streamrec.avro.codec.DecodeError;
import org.streamrec.avro.codec.DecodeResult;

/**
 * Decodes and validates raw {@code events} records with {@link AvroCodec#clickEvents(ClickEventRules)}. Good events go to the main
 * output; every other record goes to {@link #DEAD_LETTERS} as a {@link DeadLetter} with its raw bytes, the codec's
 * stable error code, the reason and its source coordinates, cut to the sizes of {@link DeadLetterBounds} so that the
 * dead-letter sink can always write it. Nothing here throws for bad input, so no input record can fail the job.
 *
 * <p>"Too far ahead" is judged against the later of this subtask's clock and its {@link StreamTimeEstimate} (the
 * median lead of the last 255 event times over the clock), the latter capped by
 * {@link ClickEventRules#clockSkewTolerance()}: a TaskManager whose clock is minutes slow accepts live traffic from
 * its first event on, while a lone far-future event, or a minority of them, is still rejected. The estimate is
 * transient, not checkpointed: it is rebuilt from the first events after a restart, and the leads it holds were
 * measured against the clock of the TaskManager the subtask ran on, which after a failover may be another one.
 * Zero tolerance judges against the clock alone.
 *
 * <p>Metrics: {@code deadLetters}, one {@code deadLetters_<CODE>} counter per error code,
 * {@code deadLettersTruncated} (dead letters whose payload or key was cut) and {@code eventTimeLeadMs} (the median
 * lead of recent event times over this subtask's clock; minutes here mean a slow clock or fast producers).
 */
public final class DecodeAndValidate extends ProcessFunction<RawRecord, ClickEvent> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") { };

    private final ClickEventRules rules;
    private final int maxPayloadBytes;
    private transient AvroCodec<ClickEvent> codec;
    private transient Clock clock;
    private transient StreamTimeEstimate streamTime;
    private transient Function<ClickEvent, List<String>> checkAgainstClockAndStream;
    private transient Counter deadLetters;
    private transient Counter truncated;
    private transient Map<DecodeError, Counter> byCode;

    /** With the default {@link ClickEventRules}. */
    public DecodeAndValidate() {
        this(ClickEventRules.defaults());
    }

    /** With {@link DeadLetterBounds#DEFAULT_MAX_PAYLOAD_BYTES}. */
    public DecodeAndValidate(ClickEventRules rules) {
        this(rules, DeadLetterBounds.DEFAULT_MAX_PAYLOAD_BYTES);
    }

    /** @param maxPayloadBytes bytes of a bad record's value kept in its dead letter; longer values are cut */
    public DecodeAndValidate(ClickEventRules rules, int maxPayloadBytes) {
        if (maxPayloadBytes < 0) {
            throw new IllegalArgumentException("maxPayloadBytes must not be negative: " + maxPayloadBytes);
        }
        this.rules = java.util.Objects.requireNonNull(rules, "rules");
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        // Not Serializable, and building it reads the schema history from the classpath: once per subtask.
        codec = AvroCodec.clickEvents(rules);
        clock = rules.clock();
        streamTime = rules.clockSkewTolerance().isZero() ? null : new StreamTimeEstimate();
        checkAgainstClockAndStream = this::check;
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
        truncated = getRuntimeContext().getMetricGroup().counter("deadLettersTruncated");
        byCode = new EnumMap<>(DecodeError.class);
        for (DecodeError error : DecodeError.values()) {
            byCode.put(error, getRuntimeContext().getMetricGroup().counter("deadLetters_" + error.name()));
        }
        StreamTimeEstimate estimate = streamTime;
        getRuntimeContext().getMetricGroup().gauge("eventTimeLeadMs",
                (Gauge<Long>) () -> estimate == null ? 0L : estimate.medianLeadMillis());
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<ClickEvent> out) {
        DecodeResult<ClickEvent> result = codec.decode(raw.value);
        if (result instanceof DecodeResult.Decoded<ClickEvent> read) {
            result = codec.validate(read.value(), checkAgainstClockAndStream);
        }
        if (result instanceof DecodeResult.Decoded<ClickEvent> decoded) {
            out.collect(decoded.value());
        } else if (result instanceof DecodeResult.Failed<ClickEvent> failed) {
            deadLetters.inc();
            byCode.get(failed.error()).inc();
            DeadLetter letter = DeadLetterBounds.deadLetter(raw, failed.error().name(), failed.message(),
                    Instant.ofEpochMilli(ctx.timerService().currentProcessingTime()), maxPayloadBytes);
            if (letter.getPayloadTruncated() || letter.getKeyTruncated()) {
                truncated.inc();
            }
            ctx.output(DEAD_LETTERS, letter);
        }
    }

    /** The rules, with this event's time counted in the stream time before it is judged (see the class comment). */
    private List<String> check(ClickEvent event) {
        long now = clock.millis();
        if (streamTime == null) {
            return rules.check(event, Instant.ofEpochMilli(now), null);
        }
        if (event.getEventTime() != null) {
            streamTime.observe(event.getEventTime().toEpochMilli(), now);
        }
        Instant stream = streamTime.isEmpty() ? null : Instant.ofEpochMilli(streamTime.streamTimeMillis(now));
        return rules.check(event, Instant.ofEpochMilli(now), stream);
    }
}
