package org.streamrec.tools.loadtest;

/** What one process used during a step: average cores busy (CPU time / wall time) and its largest RSS sampled. */
record ProcessUsage(double cores, double peakRssMib) {
}
