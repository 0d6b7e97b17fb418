package org.streamrec.tools.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * CPU time and resident memory of any process on this machine, from Linux's {@code /proc/<pid>/stat} (utime +
 * stime, in clock ticks) and {@code /proc/<pid>/status} (VmRSS). Read directly because the JDK only reports these
 * for its own process, and the load test also watches the broker, JobManager and TaskManager JVMs.
 */
final class ProcStat {

    /** One reading of a process: CPU time used since it started, and its resident set size now. */
    record Sample(long cpuTicks, long rssKib) {
    }

    private static volatile long clockTicks;

    private ProcStat() {
    }

    /**
     * utime + stime (fields 14 and 15 of proc(5)) of one {@code /proc/<pid>/stat} line. The command name (field 2)
     * is in parentheses and may itself hold spaces and parentheses, so the fields are counted after the last ')'.
     */
    static long cpuTicks(String statLine) {
        int end = statLine.lastIndexOf(')');
        if (end < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + statLine);
        }
        // After ") ": field 3 (state) is index 0, so field n is index n - 3.
        String[] fields = statLine.substring(end + 1).trim().split("\\s+");
        if (fields.length < 13) {
            throw new IllegalArgumentException("too few fields in /proc/<pid>/stat line: " + statLine);
        }
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    /** VmRSS in KiB from the lines of {@code /proc/<pid>/status}; -1 when absent (a zombie has none). */
    static long rssKib(List<String> statusLines) {
        for (String line : statusLines) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
                if (parts.length < 2 || !parts[1].equals("kB")) {
                    throw new IllegalArgumentException("unexpected VmRSS line: " + line);
                }
                return Long.parseLong(parts[0]);
            }
        }
        return -1;
    }

    /** The process's CPU time and RSS now; empty when it does not exist (any more) or /proc is not there. */
    static Optional<Sample> read(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.US_ASCII);
            List<String> status = Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8);
            return Optional.of(new Sample(cpuTicks(stat), rssKib(status)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Clock ticks per second, the unit of /proc's CPU times: {@code getconf CLK_TCK}, 100 where that fails. */
    static long clockTicksPerSecond() {
        if (clockTicks == 0) {
            long ticks = 100;
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                if (p.waitFor() == 0 && out.matches("\\d+")) {
                    ticks = Long.parseLong(out);
                }
            } catch (IOException e) {
                // no getconf: Linux's USER_HZ is 100 on every common architecture
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            clockTicks = ticks;
        }
        return clockTicks;
    }
}
