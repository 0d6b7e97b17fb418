package org.streamrec.tools.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcStatTest {

    /** A real /proc/<pid>/stat line of a JVM, with the command name changed to hold spaces and parentheses. */
    private static final String STAT = "48213 (java (kafka) x) S 1 48213 48213 0 -1 4194560 412563 0 12 0 "
            + "5321 877 0 0 20 0 61 0 1734511 5612302336 187532 18446744073709551615 1 1 0 0 0 0 0 3 16800975 0 0 0 "
            + "17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

    @Test
    void cpuTicksAreUtimePlusStimeCountedAfterTheCommandName() {
        assertThat(ProcStat.cpuTicks(STAT)).isEqualTo(5321 + 877);
    }

    @Test
    void aTruncatedStatLineIsRejected() {
        assertThatThrownBy(() -> ProcStat.cpuTicks("48213 (java) S 1 2 3")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.cpuTicks("no parentheses")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rssIsTheVmRssLineInKib() {
        List<String> status = List.of("Name:\tjava", "State:\tS (sleeping)", "VmPeak:\t 5612302 kB", "VmHWM:\t  801234 kB",
                "VmRSS:\t  750128 kB", "RssAnon:\t  700000 kB", "Threads:\t61");
        assertThat(ProcStat.rssKib(status)).isEqualTo(750128);
        // A zombie's status has no VmRSS line.
        assertThat(ProcStat.rssKib(List.of("Name:\tjava", "State:\tZ (zombie)"))).isEqualTo(-1);
    }

    @Test
    void thisProcessReadsBackFromProcWithCpuTimeAndResidentMemory() throws InterruptedException {
        long pid = ProcessHandle.current().pid();
        ProcStat.Sample before = ProcStat.read(pid).orElseThrow();
        long sink = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
            sink += System.nanoTime() % 7;
        }
        ProcStat.Sample after = ProcStat.read(pid).orElseThrow();
        assertThat(sink).isNotNegative();
        assertThat(after.cpuTicks()).isGreaterThan(before.cpuTicks());
        // A JVM with JUnit loaded is far above 10 MiB, and the figure matches what the JVM's own reader sees.
        assertThat(after.rssKib()).isGreaterThan(10 * 1024);
        assertThat(after.rssKib() / 1024.0).isCloseTo(ProcessSampler.rssMib(), org.assertj.core.data.Offset.offset(64.0));
        assertThat(ProcStat.clockTicksPerSecond()).isPositive();
    }

    @Test
    void aProcessThatIsGoneReadsAsEmpty() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        assertThat(ProcStat.read(pid)).isEmpty();
    }

    @Test
    void theMonitorsCoresAgreeWithTheJvmsOwnCpuTime() throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        // The lag source is a plain function here; LoadTestLocalClusterIT reads the real one from a broker.
        long wallBefore = System.nanoTime();
        long cpuBefore = os.getProcessCpuTime();
        StepMonitor monitor = new StepMonitor(Map.of("harness", ProcessHandle.current().pid()), () -> 7).start();
        long until = System.nanoTime() + 1_500_000_000L;
        long sink = 0;
        while (System.nanoTime() < until) {
            sink += System.nanoTime() % 3;
        }
        monitor.stop();
        double jvmCores = (os.getProcessCpuTime() - cpuBefore) / (double) (System.nanoTime() - wallBefore);
        assertThat(sink).isNotNegative();
        ProcessUsage usage = monitor.usage().get("harness");
        // One thread spun the whole window; how much CPU it got depends on the other load of this shared machine,
        // so the check is that /proc (10 ms ticks) and the JVM's own counter agree.
        assertThat(usage.cores()).isPositive().isCloseTo(jvmCores, org.assertj.core.data.Offset.offset(0.15));
        assertThat(usage.peakRssMib()).isGreaterThan(10);
        assertThat(monitor.maxLag()).isEqualTo(7);
    }
}
