package org.streamrec.tools.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a load test runs on, as reported with its results: CPU, Java version and load average. */
final class Machine {

    private Machine() {
    }

    /** Cores, CPU model, Java version and load average, the first line of the output and the report's "machine". */
    static String description() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException e) {
            // not Linux: keep "unknown CPU"
        }
        return String.format("%d cores (%s), Java %s, load average %s", Runtime.getRuntime().availableProcessors(), cpu,
                System.getProperty("java.version"), loadAverageLine());
    }

    private static String loadAverageLine() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** The 1-minute load average, or -1 where it cannot be read. */
    static double loadAverage() {
        try {
            return Double.parseDouble(loadAverageLine().split("\\s+")[0]);
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
