package org.streamrec.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OttoJsonlReaderTest {

    @TempDir
    Path dir;

    private final OttoJsonlReader reader = new OttoJsonlReader();

    @Test
    void typedEventsMapToEventTypesWithMillisecondTimes() throws IOException {
        Path file = TestFiles.write(dir, "otto.jsonl",
                "{\"session\":4,\"events\":[{\"aid\":11,\"ts\":1659304800025,\"type\":\"clicks\"},"
                        + "{\"aid\":12,\"ts\":1659304800030,\"type\":\"carts\"},{\"aid\":12,\"ts\":1659304800040,\"type\":\"orders\"}]}\n"
                        + "{\"events\":[{\"type\":\"clicks\",\"ts\":5,\"aid\":13}],\"session\":2}");

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.report().clean()).isTrue();
        assertThat(dataset.report().linesRead()).isEqualTo(2);
        assertThat(dataset.sessions()).extracting(Session::sessionId).containsExactly("4", "2");
        Session first = dataset.sessions().get(0);
        assertThat(first.itemIds()).containsExactly("11", "12", "12");
        assertThat(first.timestamps()).containsExactly(1_659_304_800_025L, 1_659_304_800_030L, 1_659_304_800_040L);
        assertThat(first.types()).containsExactly(EventType.CLICK, EventType.ADD_TO_CART, EventType.PURCHASE);
        assertThat(first.userId()).isNull();
    }

    @Test
    void everyMalformedLineIsCountedWithItsLineNumberAndReason() throws IOException {
        Path file = TestFiles.write(dir, "bad.jsonl", String.join("\n",
                "{\"session\":1,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"}]}",          // 1 ok
                "{\"session\":2,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"}",            // 2 truncated JSON
                "{\"session\":3,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"views\"}]}",           // 3 unknown type
                "{\"session\":4,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"},{\"ts\":2,\"type\":\"clicks\"}]}", // 4 no aid
                "{\"session\":5,\"events\":[]}",                                                  // 5 no events
                "{\"session\":\"6\",\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"}]}",      // 6 string session
                "[1,2,3]",                                                                         // 7 not an object
                "",                                                                                // 8 empty line
                "{\"session\":9,\"events\":[{\"aid\":1,\"ts\":1.5,\"type\":\"clicks\"}]}",        // 9 fractional ts
                "{\"session\":1,\"events\":[{\"aid\":2,\"ts\":3,\"type\":\"carts\"}]}"));          // 10 ok, continues session 1

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.report().malformedCount()).isEqualTo(8);
        assertThat(dataset.report().malformed()).extracting(MalformedLine::lineNumber).containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(dataset.report().malformed()).extracting(MalformedLine::reason).satisfiesExactly(
                r -> assertThat(r).startsWith("not valid JSON: "),
                r -> assertThat(r).isEqualTo("event 0: \"type\" must be \"clicks\", \"carts\" or \"orders\", found \"views\""),
                r -> assertThat(r).isEqualTo("event 1: \"aid\" is missing or not a non-negative integer"),
                r -> assertThat(r).isEqualTo("\"events\" is missing, not an array, or empty"),
                r -> assertThat(r).isEqualTo("\"session\" is missing or not a non-negative integer"),
                r -> assertThat(r).isEqualTo("not a JSON object"),
                r -> assertThat(r).isEqualTo("empty line"),
                r -> assertThat(r).isEqualTo("event 0: \"ts\" is missing or not a non-negative integer of milliseconds"));
        // A malformed line adds none of its events, not even the valid ones before the bad event.
        assertThat(dataset.report().eventsRead()).isEqualTo(2);
        assertThat(dataset.sessions()).singleElement().satisfies(s -> {
            assertThat(s.sessionId()).isEqualTo("1");
            assertThat(s.itemIds()).containsExactly("1", "2");
            assertThat(s.types()).containsExactly(EventType.CLICK, EventType.ADD_TO_CART);
        });
        assertThat(dataset.report().malformed().get(0)).extracting(MalformedLine::lineNumber, MalformedLine::content)
                .containsExactly(2L, "{\"session\":2,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"}");
    }

    @Test
    void gzipCompressedJsonLinesAreRead() throws IOException {
        Path file = TestFiles.writeGzip(dir, "otto.jsonl", "{\"session\":1,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"orders\"}]}\n");

        assertThat(DatasetReaders.read(file).sessions()).extracting(Session::types)
                .containsExactly(List.of(EventType.PURCHASE));
    }
}
