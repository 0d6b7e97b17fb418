package org.streamrec.flink.demo;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.streamrec.flink.replay.ReplaySummary;

/**
 * What a demo run did, for its final summary and for tests.
 *
 * @param plannedEvents  valid events the demo meant to replay
 * @param malformed      malformed records it injected
 * @param model          which model was served (trained here or given), or "none"
 * @param replay         the replay's own summary
 * @param eventsTopic    the events topic read back and classified ({@link EventsTopicCheck})
 * @param servingRan     whether the serving job ran on the local Flink cluster
 * @param output         what the job published, null when it did not run
 * @param webUi          the Flink web UI address, null when no cluster was started
 * @param skipped        every stage that was skipped, with the reason, in the order they came
 * @param problems       every way the run fell short of what it expected
 */
public record DemoReport(long plannedEvents, int malformed, String model, ReplaySummary replay, Map<String, Long> eventsTopic,
                         boolean servingRan, OutputMonitor.Tally output, URI webUi, List<String> skipped,
                         List<String> problems) {

    public boolean succeeded() {
        return problems.isEmpty();
    }

    public int exitCode() {
        return succeeded() ? 0 : 1;
    }
}
