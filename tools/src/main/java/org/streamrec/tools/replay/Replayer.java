package org.streamrec.tools.replay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.Session;
import org.streamrec.tools.replay.MalformedRecords.MalformedRecord;

/**
 * Sends sessions to a Kafka topic as {@link ClickEvent}s in single-object encoding, keyed by user id, in
 * {@link TimeOrderedEvents} order and at the pace a {@link Pacer} sets; optionally mixes in
 * {@link MalformedRecords} spread evenly over the run.
 *
 * <p>Per-session order survives the trip: a session has one user, so all its events share a key and a partition,
 * and the producer (idempotent, as {@link ReplayTool#producerConfig} builds it) keeps the send order within a
 * partition even when it retries.
 *
 * <p>The Kafka record timestamp is left to the producer (send time), not set to the event time: the datasets are
 * years old, and the broker's time-based retention would delete such records almost at once. Consumers read the
 * event time from the record itself.
 */
public final class Replayer {

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final ClickEventFactory events;
    private final AvroCodec<ClickEvent> codec;
    private final Pacer pacer;
    private final Ticker ticker;
    private final Duration progressInterval;
    private final Consumer<ReplayProgress> progressListener;
    private volatile boolean stopRequested;
    private Consumer<ClickEvent> sendListener = event -> { };

    public Replayer(Producer<byte[], byte[]> producer, String topic, ClickEventFactory events, AvroCodec<ClickEvent> codec,
                    Pacer pacer, Ticker ticker, Duration progressInterval, Consumer<ReplayProgress> progressListener) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.events = Objects.requireNonNull(events, "events");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.pacer = Objects.requireNonNull(pacer, "pacer");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.progressInterval = Objects.requireNonNull(progressInterval, "progressInterval");
        this.progressListener = Objects.requireNonNull(progressListener, "progressListener");
    }

    /**
     * Calls {@code listener} with each valid event right after it was handed to the producer, on the replay thread
     * (so it must be cheap); the demo uses it to time each event from send to answer.
     */
    public Replayer onSend(Consumer<ClickEvent> listener) {
        this.sendListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Makes a running {@link #run} stop after the event it is sending; what was sent is still flushed. */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Sends up to {@code limit} events of {@code sessions} (plus {@code malformedCount} malformed records), waits
     * until the producer has had an answer for each, and reports.
     */
    public ReplaySummary run(List<Session> sessions, long limit, int malformedCount) throws InterruptedException {
        long available = 0;
        for (Session s : sessions) {
            available += s.length();
        }
        long validTotal = Math.min(limit, available);
        List<MalformedRecord> malformed = MalformedRecords.generate(malformedCount, codec);

        AtomicLong eventsAcked = new AtomicLong();
        AtomicLong malformedAcked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        Callback eventCallback = acknowledging(eventsAcked, failed, firstFailure);
        Callback malformedCallback = acknowledging(malformedAcked, failed, firstFailure);

        TimeOrderedEvents order = new TimeOrderedEvents(sessions);
        // Sized up front: no table grows (a G1 humongous allocation from 512 KB on) while the events are paced. Each
        // sent event adds at most one session and one user.
        int expected = (int) Math.min(sessions.size(), validTotal);
        FingerprintSet sessionsSent = new FingerprintSet(expected);
        FingerprintSet users = new FingerprintSet(expected);
        long sent = 0;
        int malformedSent = 0;
        Instant firstEventTime = null;
        Instant lastEventTime = null;

        long startNanos = ticker.nanoTime();
        long lastProgressNanos = startNanos;
        long lastProgressSent = 0;
        long progressNanos = Math.max(1, progressInterval.toNanos());
        while (sent < validTotal && order.hasNext() && !stopRequested) {
            SessionEvent next = order.next();
            pacer.awaitTurn(order.lastEffectiveTime());
            ClickEvent event = events.create(next);
            producer.send(new ProducerRecord<>(topic, utf8(event.getUserId()), codec.encode(event)), eventCallback);
            sendListener.accept(event);
            sent++;
            sessionsSent.add(next.session().sessionId());
            users.add(event.getUserId());
            if (firstEventTime == null) {
                firstEventTime = event.getEventTime();
            }
            lastEventTime = event.getEventTime();
            while (malformedSent < malformed.size()
                    && sent >= MalformedRecords.injectAfter(malformedSent, malformed.size(), validTotal)) {
                send(malformed.get(malformedSent++), malformedCallback);
            }
            long now = ticker.nanoTime();
            if (now - lastProgressNanos >= progressNanos) {
                double intervalRate = (sent - lastProgressSent) * 1e9 / (now - lastProgressNanos);
                progressListener.accept(new ReplayProgress(sent, eventsAcked.get(), malformedSent, failed.get(),
                        now - startNanos, intervalRate));
                // After the listener: time it spent is not counted as a replay interval of its own.
                lastProgressNanos = ticker.nanoTime();
                lastProgressSent = sent;
            }
        }
        while (!stopRequested && malformedSent < malformed.size()) {
            send(malformed.get(malformedSent++), malformedCallback);
        }
        // flush() returns once every record sent so far has completed, i.e. its callback has run.
        producer.flush();
        long elapsed = ticker.nanoTime() - startNanos;
        return new ReplaySummary(topic, sessionsSent.size(), users.size(), sent, eventsAcked.get(), malformedSent,
                malformedAcked.get(), failed.get(), elapsed, firstEventTime, lastEventTime, pacer.describe(),
                firstFailure.get());
    }

    private void send(MalformedRecord record, Callback callback) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(new RecordHeader(MalformedRecords.KIND_HEADER, utf8(record.kind().name())));
        producer.send(new ProducerRecord<>(topic, null, null, record.key(), record.value(), headers), callback);
    }

    private static Callback acknowledging(AtomicLong acked, AtomicLong failed, AtomicReference<Exception> firstFailure) {
        return (metadata, exception) -> {
            if (exception == null) {
                acked.incrementAndGet();
            } else {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, exception);
            }
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
