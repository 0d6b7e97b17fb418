#!/usr/bin/env python3
"""The JVM's garbage-collection pauses during a load-test step, from its unified GC log.

Run the load test with the log on, wall-clock decorated, and --json (BENCHMARKS.md, "Garbage collection in the load
test's JVM"):

  JAVA_OPTS="-Xmx2g -Xlog:gc,gc+age=trace:file=gc.log:time" deploy/loadtest.sh ... --json run.json
  python3 benchmarks/scripts/gc_pauses.py --gc-log gc.log --json run.json

For each reported step (its startedAtEpochMs and sendSeconds from the JSON) it prints the pauses in the step's send
window: how many, by kind, how often, their median / p90 / max and their total as a share of the step; the heap
allocated per second (the young pauses' heap before, less the heap after the previous pause); when the log has
gc+age=trace, the mean bytes that survived each young pause, which is what a young pause copies; and G1's
concurrent mark cycles that ran in the step (a concurrent GC thread busy meanwhile, on a 2-core machine half of it;
a humongous allocation above the occupancy threshold starts one). With --series (the load test's --latency-series
file) it also compares the p99 of the seconds a mark cycle overlapped with the other seconds'.
"""
import argparse, csv, datetime, json, re, statistics

# the decorations ([time][uptime]...) are group 1; the wall-clock time is the one with a 'T'
PAUSE = re.compile(r'^((?:\[[^\]]+\])+) GC\((\d+)\) (Pause \w+(?: \([^)]*\))*) (\d+)M->(\d+)M\((\d+)M\) ([0-9.]+)ms$')
MARK_CYCLE = re.compile(r'^((?:\[[^\]]+\])+) GC\((\d+)\) Concurrent Mark Cycle ([0-9.]+)ms$')
AGE_TOTAL = re.compile(r'^((?:\[[^\]]+\])+) GC\((\d+)\) - age +\d+: +\d+ bytes, +(\d+) total$')


def epoch_ms(decorations):
    # -Xlog's time decoration: [2026-12-06T13:50:35.123+0000]; None without it
    for stamp in re.findall(r'\[([^\]]+)\]', decorations):
        if 'T' in stamp:
            return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp() * 1000
    return None


def read(gc_log):
    pauses, survivors, cycles = [], {}, []
    for line in open(gc_log):
        line = line.rstrip()
        c = MARK_CYCLE.match(line)
        if c:
            # logged when the cycle ends, with its duration
            end = epoch_ms(c.group(1))
            if end is not None:
                cycles.append((end - float(c.group(3)), end))
            continue
        m = PAUSE.match(line)
        if m:
            pauses.append({'at': epoch_ms(m.group(1)), 'gc': int(m.group(2)), 'kind': m.group(3).strip(),
                           'before': int(m.group(4)), 'after': int(m.group(5)), 'ms': float(m.group(7))})
            continue
        a = AGE_TOTAL.match(line)
        if a:
            # the last age line of a pause holds the total that survived it
            survivors[int(a.group(2))] = int(a.group(3))
    return pauses, survivors, cycles


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--gc-log', required=True, help='-Xlog:gc...:file=...:time output')
    p.add_argument('--json', required=True, help="the load test's --json output")
    p.add_argument('--series', help="the load test's --latency-series output (per-second p99 by mark cycle)")
    args = p.parse_args()
    pauses, survivors, cycles = read(args.gc_log)
    series = list(csv.DictReader(open(args.series))) if args.series else []
    pauses = [x for x in pauses if x['at'] is not None]
    if not pauses:
        raise SystemExit('no pauses with a wall-clock time in %s: log with -Xlog:gc:file=...:time' % args.gc_log)
    for step in json.load(open(args.json))['steps']:
        start = step['startedAtEpochMs']
        seconds = step['sendSeconds']
        inside = [x for x in pauses if start <= x['at'] <= start + seconds * 1000]
        print('%s %s: %.0f s' % (step['guarantee'], step.get('label') or step.get('rate'), seconds))
        if not inside:
            print('  no pause')
            continue
        ms = [x['ms'] for x in inside]
        kinds = {}
        for x in inside:
            kinds[x['kind']] = kinds.get(x['kind'], 0) + 1
        print('  %d pauses, one every %.1f s; median %.1f ms, p90 %.1f, max %.1f; %.0f ms in all = %.2f%% of the step'
              % (len(ms), seconds / len(ms), statistics.median(ms), percentile(ms, 0.9), max(ms), sum(ms),
                 sum(ms) / (10 * seconds)))
        for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
            print('    %4d  %s' % (count, kind))
        young = [x for x in pauses if x['kind'].startswith('Pause Young')]
        allocated = [(b['before'] - a['after'], b['at'] - a['at']) for a, b in zip(young, young[1:])
                     if start <= a['at'] and b['at'] <= start + seconds * 1000]
        if allocated:
            print('  allocated %.0f MB/s (heap growth between young pauses)'
                  % (sum(mb for mb, _ in allocated) / (sum(t for _, t in allocated) / 1000)))
        copied = [survivors[x['gc']] for x in inside if x['gc'] in survivors]
        if copied:
            print('  survivors after a young pause: mean %.1f MB, max %.1f MB (%d pauses with an age table)'
                  % (statistics.mean(copied) / 1e6, max(copied) / 1e6, len(copied)))
        marking = [(a, b) for a, b in cycles if a < start + seconds * 1000 and b > start]
        print('  %d concurrent mark cycles, %.0f ms of marking' % (len(marking), sum(b - a for a, b in marking)))
        rows = [r for r in series if r['step'].split(' ')[-1].endswith(str(step.get('rate')))] if series else []
        if rows and marking:
            def overlapped(second):
                lo, hi = start + int(second) * 1000, start + (int(second) + 1) * 1000
                return any(a < hi and b > lo for a, b in marking)
            during = [int(r['p99_ms']) for r in rows if overlapped(r['second'])]
            other = [int(r['p99_ms']) for r in rows if not overlapped(r['second'])]
            for name, values in (('seconds with marking', during), ('other seconds', other)):
                if values:
                    print('    %s: %d, p99 median %d ms, max %d' % (name, len(values), statistics.median(values),
                                                                   max(values)))


if __name__ == '__main__':
    main()
