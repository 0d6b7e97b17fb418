package org.streamrec.tools.dashboard;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.streamrec.tools.flink.FlinkRest;

/**
 * Reads the serving job's operator metrics through the Flink REST API, the numbers the Flink web UI shows: counters,
 * the prequential HR/MRR gauges, the model version gauge and the latency histograms (which the REST API exposes as
 * {@code <name>_median}, {@code _p95}, {@code _p99}, {@code _max}, {@code _count}, ...).
 *
 * <p>The job is the one given, or else the most recently started RUNNING job that has an operator of the given name;
 * when that job stops, the next poll looks again (a restarted or upgraded job gets a new id).
 */
final class FlinkPoller implements AutoCloseable {

    /** Operator metrics of the serving job, per subtask; {@code error} says why there are none. */
    record Reading(String jobId, String jobName, Map<Integer, Map<String, Double>> operator, double deadLetters,
                   String error) {
        boolean ok() {
            return error == null;
        }

        static Reading failed(String error) {
            return new Reading(null, null, Map.of(), 0, error);
        }
    }

    static final List<String> OPERATOR_METRICS = List.of("eventsIn", "recommendationsOut", "fallbackRecommendationsOut",
            "prequentialPredictions", "prequentialHitRate", "prequentialMrr", "modelVersion", "modelSwaps",
            "processingLatencyMs_median", "processingLatencyMs_p95", "processingLatencyMs_p99", "processingLatencyMs_max",
            "processingLatencyMs_count");
    static final String DECODE_OPERATOR = "decode-and-validate";

    private final FlinkRest rest;
    private final JobID fixedJobId;
    private final String operator;
    private JobID jobId;
    private String jobName;

    /**
     * @param rest     the REST endpoint, e.g. {@code http://127.0.0.1:8081}
     * @param jobId    the job to watch, or null to find it by {@code operator}
     * @param operator the serving operator's name ({@code session-recommender})
     */
    FlinkPoller(URI rest, String jobId, String operator) {
        this.rest = new FlinkRest(rest);
        this.fixedJobId = jobId == null ? null : JobID.fromHexString(jobId);
        this.operator = operator;
    }

    URI rest() {
        return rest.address();
    }

    /** One reading; never throws: failures come back as a reading with the error. */
    Reading poll() {
        try {
            if (jobId == null || rest.status(jobId) != JobStatus.RUNNING) {
                jobId = fixedJobId != null ? fixedJobId : rest.newestRunningJobWith(operator).orElse(null);
                if (jobId == null) {
                    return Reading.failed("no RUNNING job with an operator named '" + operator + "' at " + rest.address());
                }
                jobName = rest.details(jobId).getName();
            }
            Map<Integer, Map<String, Double>> op = rest.operatorMetrics(jobId, operator, OPERATOR_METRICS);
            double deadLetters = FlinkRest.sum(rest.operatorMetrics(jobId, DECODE_OPERATOR, List.of("deadLetters")), "deadLetters");
            return new Reading(jobId.toHexString(), jobName, op, deadLetters, null);
        } catch (IOException | RuntimeException e) {
            jobId = null;
            // FlinkRest's IOExceptions say where; anything else gets the address here.
            return Reading.failed(e instanceof IOException ? e.getMessage() : "Flink REST at " + rest.address() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reading.failed("interrupted");
        }
    }

    @Override
    public void close() {
        rest.close();
    }
}
