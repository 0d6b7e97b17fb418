package org.streamrec.tools.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.SessionEvent;

/** What the demo prints about its results: the output so far, a few users' clicks and recommendations, the summary. */
final class DemoPrinter {

    private static final int SAMPLE_MIN_EVENTS = 5;
    private static final int SAMPLE_MAX_EVENTS = 10;

    private final DemoLog log;
    private final int k;
    private final int samples;

    DemoPrinter(DemoLog log, int k, int samples) {
        this.log = log;
        this.k = k;
        this.samples = samples;
    }

    /** The output so far, as the progress lines show it. */
    static String describe(OutputMonitor.Tally t) {
        return String.format("committed: recommendations %,d, DLQ %,d | online HR@%d %.4f MRR@%d %.4f over %,d predictions",
                t.distinctAnswered(), t.deadLetters(), t.k(), t.hitRate(), t.k(), t.mrr(), t.predictions());
    }

    /** A few users whose whole session is short enough to print, in replay order. */
    List<String> sampleUsers(ReplayPlan plan, ClickEventFactory ids) {
        Map<String, Integer> planned = new LinkedHashMap<>();
        for (SessionEvent e : plan.events()) {
            planned.merge(ids.userId(e.session()), 1, Integer::sum);
        }
        return planned.entrySet().stream()
                .filter(entry -> entry.getValue() >= SAMPLE_MIN_EVENTS && entry.getValue() <= SAMPLE_MAX_EVENTS)
                .limit(samples).map(Map.Entry::getKey).toList();
    }

    /** Each sample user's clicks, whether each was in the list the previous click produced, and the lists. */
    void printSamples(ReplayPlan plan, ClickEventFactory ids, List<String> users, OutputMonitor monitor) {
        for (String user : users) {
            List<SessionEvent> events = plan.events().stream().filter(e -> ids.userId(e.session()).equals(user)).toList();
            log.say("sample: user %s, session %s, %d clicks; each click against the list the previous click produced (top 5 shown)",
                    user, events.get(0).session().sessionId(), events.size());
            Recommendation previous = null;
            for (SessionEvent e : events) {
                String item = e.itemId();
                String judged = "";
                if (previous != null) {
                    int rank = previous.getItems().stream().map(RecommendedItem::getItemId).toList().indexOf(item) + 1;
                    judged = rank > 0 && rank <= k ? "(was #" + rank + ")" : "(missed)";
                }
                Recommendation answer = monitor.answerTo(ids.eventId(e.session(), e.position()));
                String top = answer == null ? "(no answer)" : answer.getItems().stream().limit(5)
                        .map(RecommendedItem::getItemId).collect(Collectors.joining(" "))
                        + String.format("  [%s, v%d]", answer.getStrategy(), answer.getModelVersion());
                log.say("  %2d. clicked %-10s %-10s -> recommends %s", e.position() + 1, item, judged, top);
                previous = answer;
            }
        }
    }

    void printSummary(DemoReport report, String jobMetricsLine) {
        log.say("================ summary ================");
        log.say("replayed:        %,d events of %,d sessions, %,d malformed records, in %.1f s",
                report.replay().eventsSent(), report.replay().sessions(), report.replay().malformedSent(), report.replay().elapsedSeconds());
        log.say("events topic:    %s", report.eventsTopic());
        log.say("model:           %s", report.model());
        if (report.servingRan()) {
            OutputMonitor.Tally t = report.output();
            log.say("Flink web UI:    %s (until the job was cancelled)", report.webUi());
            log.say("recommendations: %,d for %,d replayed events (%,d fallback, %,d duplicates)",
                    t.distinctAnswered(), report.plannedEvents(), t.fallback(), t.duplicates());
            log.say("dead letters:    %,d for %,d malformed records %s", t.deadLetters(), report.malformed(), t.deadLettersByCode());
            log.say("online HR@%d:    %.4f   MRR@%d: %.4f   over %,d predictions (from the output: next event of the same session)",
                    t.k(), t.hitRate(), t.k(), t.mrr(), t.predictions());
            log.say("job metrics:     %s", jobMetricsLine);
            DemoReport.Training training = report.training();
            if (training != null) {
                log.say("trainer:         published %d version(s) %s; last: %,d pairs trained, loss %.4f",
                        training.versionsPublished().size(), training.versionsPublished(), training.pairsTrained(),
                        training.lastLoss());
                log.say("model swaps:     %d seen on the output; first answer by each version: %s", training.swapsSeen(),
                        training.firstEmitMillisByModelVersion().entrySet().stream()
                                .map(e -> String.format("v%d at %s", e.getKey(), java.time.Instant.ofEpochMilli(e.getValue())))
                                .collect(Collectors.joining(", ")));
            }
            log.say("latency:         send -> emitted by the job: %s; send -> visible to a read_committed consumer: %s"
                    + " (includes waiting for the checkpoint that commits it)", t.sendToEmit(), t.sendToVisible());
        }
        for (String s : report.skipped()) {
            log.say("SKIPPED:         %s", s);
        }
        for (String p : report.problems()) {
            log.say("PROBLEM:         %s", p);
        }
        log.say(report.succeeded() ? "result:          OK%s" : "result:          FAILED%s",
                report.skipped().isEmpty() ? "" : String.format(" (with %d stage(s) skipped, see above)", report.skipped().size()));
    }
}
