package org.streamrec.tools.demo;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.streamrec.tools.replay.ReplaySummary;

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
 * @param training       what the trainer job published and which versions answered, null when it did not run
 */
public record DemoReport(long plannedEvents, int malformed, String model, ReplaySummary replay, Map<String, Long> eventsTopic,
                         boolean servingRan, OutputMonitor.Tally output, URI webUi, List<String> skipped,
                         List<String> problems, Training training) {

    /**
     * What the trainer job did, as seen on the topics.
     *
     * @param versionsPublished             versions announced on model-updates, in order
     * @param pairsTrained                  training pairs of the last announced version
     * @param lastLoss                      its last mini-batch loss
     * @param firstEmitMillisByModelVersion each model version seen on the output, with its first emit time
     */
    public record Training(List<Long> versionsPublished, long pairsTrained, double lastLoss,
                           java.util.SortedMap<Long, Long> firstEmitMillisByModelVersion) {

        /** Versions above the lowest one that answered on the output: hot swaps the serving job made. */
        public int swapsSeen() {
            return Math.max(0, firstEmitMillisByModelVersion.size() - 1);
        }
    }

    public boolean succeeded() {
        return problems.isEmpty();
    }

    public int exitCode() {
        return succeeded() ? 0 : 1;
    }
}
