#!/usr/bin/env python3
"""JIT compilations per second of a load-test step, from the JVMs' unified compilation logs, next to the step's p99.

Run the load test on the standalone cluster with a wall-clock decorated compilation log per JVM (BENCHMARKS.md,
"Checkpoints the JIT had not compiled"):

  L='-Xlog:jit+compilation=debug:file=/tmp/%s-jit.log:time'
  TM_JAVA_OPTS="$(printf "$L" tm)" JM_JAVA_OPTS="$(printf "$L" jm)" deploy/loadtest.sh --cluster local ... \\
      --json run.json --latency-series run-series.csv
  python3 benchmarks/scripts/jit_series.py --json run.json --series run-series.csv \\
      --log taskmanager=/tmp/tm-jit.log --log jobmanager=/tmp/jm-jit.log [--checkpoints flink-jobmanager.log]

For each second of the first reported step it prints the methods each JVM compiled (all tiers, OSR included; a
deoptimisation is not a compilation) and the p99 of the events created in that second; with --checkpoints (the
JobManager's log) it marks the seconds in which a checkpoint was triggered. Then, per JVM, the compilations in the
step and the median p99 of the seconds with at least --burst compilations in any JVM against the other seconds.
"""
import argparse, csv, json, re, statistics

from gc_pauses import epoch_ms  # the same -Xlog time decoration

# [2026-12-06T19:38:26.783+0000]    1       3       java.lang.Object::<init> (1 bytes)
COMPILATION = re.compile(r'^((?:\[[^\]]+\])+)\s+\d+\s')
# 2026-12-06 18:54:58,613 INFO  ...CheckpointCoordinator [] - Triggering checkpoint 8 (...) @ 1796583298612 for job ...
TRIGGER = re.compile(r'Triggering checkpoint \d+ .* @ (\d+) for job')


def compilation_times(path):
    times = []
    for line in open(path, errors='replace'):
        m = COMPILATION.match(line)
        if m and 'made not entrant' not in line and 'made zombie' not in line:
            t = epoch_ms(m.group(1))
            if t is not None:
                times.append(t)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--json', required=True, help="the load test's --json file")
    p.add_argument('--series', required=True, help="the load test's --latency-series file")
    p.add_argument('--log', action='append', required=True, metavar='NAME=FILE', help='a JVM\'s compilation log')
    p.add_argument('--checkpoints', help="the JobManager's log, for the checkpoint trigger times")
    p.add_argument('--burst', type=int, default=20, help='compilations in a second that count as a burst (default 20)')
    a = p.parse_args()

    step = json.load(open(a.json))['steps'][0]
    start, label = step['startedAtEpochMs'], f"{step['guarantee']}"
    seconds = int(step['sendSeconds'])
    p99 = {}
    for row in csv.DictReader(open(a.series)):
        if row['step'].startswith(label) and int(row['second']) not in p99:
            p99[int(row['second'])] = int(row['p99_ms'])
    logs = [name_file.split('=', 1) for name_file in a.log]
    per_second = {}
    for name, path in logs:
        counts = [0] * seconds
        for t in compilation_times(path):
            s = int((t - start) // 1000)
            if 0 <= s < seconds:
                counts[s] += 1
        per_second[name] = counts
    triggered = set()
    if a.checkpoints:
        for line in open(a.checkpoints, errors='replace'):
            m = TRIGGER.search(line)
            if m and 0 <= (int(m.group(1)) - start) // 1000 < seconds:
                triggered.add(int((int(m.group(1)) - start) // 1000))

    names = [name for name, _ in logs]
    print('second  ' + ''.join(f'{n[:14]:>15}' for n in names) + '   p99 ms  checkpoint')
    for s in range(seconds):
        print(f'{s:6d}  ' + ''.join(f'{per_second[n][s]:15d}' for n in names)
              + f'{p99.get(s, -1):9d}  {"triggered" if s in triggered else ""}')
    for n in names:
        print(f'{n}: {sum(per_second[n])} compilations in the step\'s {seconds} s')
    burst = {s for s in p99 if s < seconds and any(per_second[n][s] >= a.burst for n in names)}
    quiet = [p99[s] for s in p99 if s < seconds and s not in burst]
    if burst and quiet:
        print(f'p99 median of the {len(burst)} seconds with >= {a.burst} compilations in a JVM: '
              f'{statistics.median(p99[s] for s in burst):.0f} ms (max {max(p99[s] for s in burst)}); '
              f'of the other {len(quiet)}: {statistics.median(quiet):.0f} ms (max {max(quiet)})')


if __name__ == '__main__':
    main()
