package org.streamrec.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.tools.replay.MalformedRecords;
import org.streamrec.tools.replay.ReplayTool;

/**
 * The embedded demo in-process on a small slice: what it replays, reads back and reports, and that the trainer job
 * running next to the serving job published versions the serving job swapped in while the replay went on.
 */
class EmbeddedDemoIT {

    private static final int SESSIONS = 60;
    private static final int MALFORMED = 5;

    @Test
    void smallDemoReplaysItsSliceAndAccountsForEveryRecord() throws Exception {
        StringWriter text = new StringWriter();
        EmbeddedDemo demo = EmbeddedDemo.parse(new PrintWriter(text, true),
                // Paced over about 9 s so that versions published every second reach the serving job mid-replay.
                "--sessions", String.valueOf(SESSIONS), "--rate", "25", "--malformed", String.valueOf(MALFORMED),
                "--epochs", "1", "--checkpoint-interval", "500ms", "--progress-interval", "1s", "--publish-every", "1s");

        DemoReport report = demo.run();
        String output = text.toString();

        long expectedEvents = ReplayTool.slice(DatasetReaders.read(Path.of(System.getProperty("streamrec.data.dir"),
                "rsc15-100k", "yoochoose-clicks-100k_test.txt")), 0, SESSIONS).stream().mapToLong(Session::length).sum();
        assertThat(report.problems()).as(output).isEmpty();
        assertThat(report.model()).as("a 1-epoch bootstrap model was trained").startsWith("GRU4Rec v1 trained here");
        assertThat(report.plannedEvents()).isEqualTo(expectedEvents);
        assertThat(report.replay().complete()).isTrue();
        assertThat(report.replay().eventsSent()).isEqualTo(expectedEvents);
        assertThat(report.replay().sessions()).isEqualTo(SESSIONS);
        assertThat(report.eventsTopic()).containsEntry(EventsTopicCheck.VALID, expectedEvents);
        assertThat(report.eventsTopic().values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(expectedEvents + MALFORMED);

        assertThat(report.servingRan()).as(output).isTrue();
        assertThat(report.skipped()).isEmpty();
        OutputMonitor.Tally out = report.output();
        assertThat(out.distinctAnswered()).as("every valid replayed event answered").isEqualTo(expectedEvents);
        assertThat(out.recommendations()).as("and answered once").isEqualTo(expectedEvents);
        assertThat(out.duplicates()).isZero();
        assertThat(out.unknownTriggers()).isZero();
        assertThat(out.undecodable()).isZero();
        assertThat(out.deadLetters()).as("every malformed record dead-lettered").isEqualTo(MALFORMED);
        assertThat(out.deadLettersByCode()).containsOnlyKeys(
                Arrays.stream(MalformedRecords.Kind.values()).map(kind -> kind.expectedError().name()).toArray(String[]::new));
        assertThat(out.predictions()).as("one judged prediction per event that has a successor in its session")
                .isEqualTo(expectedEvents - SESSIONS);
        assertThat(out.hitRate()).isBetween(0.0, 1.0);
        assertThat(out.sendToEmit().count()).as("every answer timed from its send").isEqualTo(expectedEvents);
        assertThat(out.sendToVisible().p50()).as("visible only after the job emitted it")
                .isGreaterThanOrEqualTo(out.sendToEmit().p50());
        DemoReport.Training training = report.training();
        assertThat(training).as("the trainer ran").isNotNull();
        assertThat(training.versionsPublished()).as(output).isNotEmpty().isSorted().doesNotHaveDuplicates();
        assertThat(training.versionsPublished().get(0)).as("above the bootstrap model's version 1").isGreaterThan(1);
        assertThat(training.pairsTrained()).isPositive();
        assertThat(training.firstEmitMillisByModelVersion().firstKey()).as("answers start with the bootstrap model")
                .isEqualTo(1);
        assertThat(training.swapsSeen()).as("the serving job swapped in a trained version: %s", output).isPositive();
        assertThat(training.versionsPublished()).containsAll(training.firstEmitMillisByModelVersion().tailMap(2L).keySet());
        assertThat(output).contains("Flink cluster up, web UI at http://127.0.0.1:").contains("result:          OK")
                .contains("trainer job stopped");
        assertThat(output).contains("stopped: broker and data directory removed");
        Matcher share = Pattern.compile("item scores computed in full (\\d+\\.\\d)%").matcher(output);
        assertThat(share.find()).as("the operator's itemsScoredInFullShare gauge in: %s", output).isTrue();
        assertThat(Double.parseDouble(share.group(1))).isGreaterThan(0).isLessThanOrEqualTo(100);
    }
}
