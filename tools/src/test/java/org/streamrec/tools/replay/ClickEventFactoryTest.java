package org.streamrec.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetFormat;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

class ClickEventFactoryTest {

    private static final Path DATA = Path.of(System.getProperty("streamrec.data.dir"));

    @Test
    void anonymousSessionBecomesItsOwnUserAndKeepsTheDatasetTime() {
        Session s = new Session("11265009", null, List.of("214586805", "214509260"), new long[] {1396839069277L, 1396839241385L},
                List.of(org.streamrec.data.EventType.CLICK, org.streamrec.data.EventType.CLICK));
        ClickEventFactory factory = new ClickEventFactory("rsc15-test", ReplayClock.epochMillis());

        ClickEvent second = factory.create(new SessionEvent(s, 0, 1));

        assertThat(second.getEventId()).isEqualTo("rsc15-test-11265009-1");
        assertThat(second.getUserId()).isEqualTo("rsc15-test-s11265009");
        assertThat(second.getSessionId()).isEqualTo("11265009");
        assertThat(second.getItemId()).isEqualTo("214509260");
        assertThat(second.getEventType()).isEqualTo(EventType.CLICK);
        assertThat(second.getEventTime()).isEqualTo(Instant.ofEpochMilli(1396839241385L));
    }

    @Test
    void aSessionWithAUserKeepsThatUser() {
        Session s = new Session("7", "4242", List.of("1"), new long[] {1_000L}, List.of(org.streamrec.data.EventType.PURCHASE));
        ClickEvent e = new ClickEventFactory("otto", ReplayClock.epochMillis()).create(new SessionEvent(s, 0, 0));

        assertThat(e.getUserId()).isEqualTo("4242");
        assertThat(e.getEventType()).isEqualTo(EventType.PURCHASE);
    }

    @Test
    void ordinalTimeGoesOnTheSyntheticClock() {
        ReplayClock clock = ReplayClock.forFormat(DatasetFormat.SESSION_TSV_ORDINAL, Instant.parse("2016-01-01T00:00:00Z"),
                Duration.ofSeconds(2));

        assertThat(clock.isSynthetic()).isTrue();
        assertThat(Instant.ofEpochMilli(clock.toEpochMillis(0))).isEqualTo(Instant.parse("2016-01-01T00:00:00Z"));
        assertThat(Instant.ofEpochMilli(clock.toEpochMillis(906_140))).isEqualTo(Instant.parse("2016-01-21T23:24:40Z"));
        assertThat(ReplayClock.forFormat(DatasetFormat.SESSION_TSV_UNIX_SECONDS, Instant.EPOCH, Duration.ofSeconds(1))
                .toEpochMillis(1396839069277L)).isEqualTo(1396839069277L);
    }

    @Test
    void everyRsc15TestEventBecomesAValidEventWithAUniqueIdThatSurvivesTheCodec() throws IOException {
        SessionDataset data = DatasetReaders.read(DATA.resolve("rsc15-100k/yoochoose-clicks-100k_test.txt"));
        ClickEventFactory factory = new ClickEventFactory(ReplayTool.datasetNameOf(DATA.resolve("rsc15-100k/yoochoose-clicks-100k_test.txt")),
                ReplayClock.epochMillis());
        AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();

        Set<String> ids = new HashSet<>();
        long valid = 0;
        TimeOrderedEvents events = new TimeOrderedEvents(data.sortedByStartTime());
        while (events.hasNext()) {
            ClickEvent event = factory.create(events.next());
            ids.add(event.getEventId());
            if (codec.decodeAndValidate(codec.encode(event)) instanceof DecodeResult.Decoded<ClickEvent> decoded
                    && decoded.value().equals(event)) {
                valid++;
            }
        }

        assertThat(ids).hasSize(13_568);
        assertThat(valid).isEqualTo(13_568);
        assertThat(ids).contains("yoochoose-clicks-100k_test-1-0", "yoochoose-clicks-100k_test-1-1");
    }

    @Test
    void digineticaOrdinalTimesBecomeDistinctIncreasingSyntheticTimes() throws IOException {
        SessionDataset data = DatasetReaders.read(DATA.resolve("diginetica/diginetica_test.tsv.gz"));
        ClickEventFactory factory = new ClickEventFactory("diginetica", ReplayClock.forFormat(DatasetFormat.SESSION_TSV_ORDINAL,
                ReplayClock.DEFAULT_SYNTHETIC_START, ReplayClock.DEFAULT_ORDINAL_STEP));

        TimeOrderedEvents events = new TimeOrderedEvents(data.sortedByStartTime());
        Instant previous = Instant.MIN;
        boolean strictlyIncreasing = true;
        long count = 0;
        ClickEvent first = null;
        while (events.hasNext()) {
            ClickEvent e = factory.create(events.next());
            first = first == null ? e : first;
            strictlyIncreasing &= e.getEventTime().isAfter(previous);
            previous = e.getEventTime();
            count++;
        }

        assertThat(count).isEqualTo(76_821);
        assertThat(strictlyIncreasing).isTrue();
        // Test starts at index 906,140 (after the 906,140 train events): 906,140 s after 2016-01-01.
        assertThat(first.getEventTime()).isEqualTo(Instant.parse("2016-01-11T11:42:20Z"));
        assertThat(first.getUserId()).isEqualTo("diginetica-s" + first.getSessionId());
    }

    @Test
    void datasetNameDropsTheExtensions() {
        assertThat(ReplayTool.datasetNameOf(Path.of("a/yoochoose-clicks-100k_test.txt"))).isEqualTo("yoochoose-clicks-100k_test");
        assertThat(ReplayTool.datasetNameOf(Path.of("diginetica_test.tsv.gz"))).isEqualTo("diginetica_test");
        assertThat(ReplayTool.datasetNameOf(Path.of("ratings"))).isEqualTo("ratings");
    }
}
