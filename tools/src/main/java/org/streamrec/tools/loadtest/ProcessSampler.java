package org.streamrec.tools.loadtest;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CPU and memory of this process (in the embedded mode the broker, the Flink cluster, the replay producer and the
 * answer consumer all run in it; with {@code --cluster local} only the replay and the consumer): process CPU time from the JVM ({@code OperatingSystemMXBean.getProcessCpuTime}, which reads
 * {@code /proc}), resident set size from {@code /proc/self/status} (VmRSS), and per-thread CPU time grouped by
 * what the thread does, so the cost of the serving job can be told from the cost of the load generator.
 */
final class ProcessSampler {

    static final String FLINK_TASKS = "flink-tasks";
    static final String REPLAY = "replay";
    static final String ANSWERS = "answer-consumer";
    static final String OTHER_JAVA = "other-java";
    static final String NON_JAVA = "gc-jit-native";

    /** Flink names task threads "<operator chain> (<subtask>/<parallelism>)#<attempt>". */
    private static final Pattern FLINK_TASK = Pattern.compile(".*\\(\\d+/\\d+\\)#\\d+.*");

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    /** CPU and wall time at one moment; subtract two to get a step's usage. */
    record Mark(long wallNanos, long processCpuNanos, Map<Long, long[]> threadCpu, Map<Long, String> threadGroup) {
    }

    Mark mark() {
        Map<Long, long[]> cpu = new LinkedHashMap<>();
        Map<Long, String> group = new LinkedHashMap<>();
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long t = threads.getThreadCpuTime(ids[i]);
            if (t >= 0 && infos[i] != null) {
                cpu.put(ids[i], new long[] {t});
                group.put(ids[i], groupOf(infos[i].getThreadName()));
            }
        }
        return new Mark(System.nanoTime(), os.getProcessCpuTime(), cpu, group);
    }

    static String groupOf(String name) {
        if (name.startsWith("loadtest-replay") || name.contains("streamrec-loadtest-replay")) {
            return REPLAY;
        }
        if (name.startsWith("loadtest-answers")) {
            return ANSWERS;
        }
        if (FLINK_TASK.matcher(name).matches() || name.startsWith("kafka-producer-network-thread | producer-")
                || name.startsWith("model-loader-")) {
            return FLINK_TASKS;
        }
        return OTHER_JAVA;
    }

    /** Average cores busy between two marks, per thread group plus the process total ("total"). */
    static Map<String, Double> coresBetween(Mark from, Mark to) {
        double wall = Math.max(1, to.wallNanos() - from.wallNanos());
        Map<String, Double> cores = new LinkedHashMap<>();
        for (String g : new String[] {FLINK_TASKS, REPLAY, ANSWERS, OTHER_JAVA, NON_JAVA}) {
            cores.put(g, 0.0);
        }
        double javaTotal = 0;
        for (Map.Entry<Long, long[]> e : to.threadCpu().entrySet()) {
            long[] before = from.threadCpu().get(e.getKey());
            long used = e.getValue()[0] - (before == null ? 0 : before[0]);
            javaTotal += used;
            cores.merge(to.threadGroup().get(e.getKey()), used / wall, Double::sum);
        }
        double total = (to.processCpuNanos() - from.processCpuNanos()) / wall;
        // Threads that ended between the marks are missing from the per-thread sums; they land here too.
        cores.put(NON_JAVA, Math.max(0, total - javaTotal / wall));
        cores.put("total", total);
        return cores;
    }

    /** Resident set size of this process in MiB, from /proc/self/status; -1 where /proc is not there. */
    static double rssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
