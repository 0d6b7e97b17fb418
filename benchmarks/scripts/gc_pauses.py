#!/usr/bin/env python3
"""The JVM's garbage-collection pauses during a load-test step, from its unified GC log.

Run the load test with the log on, wall-clock decorated, and --json (BENCHMARKS.md, "Garbage collection in the load
test's JVM"):

  JAVA_OPTS="-Xmx2g -Xlog:gc,gc+age=trace:file=gc.log:time" deploy/loadtest.sh ... --json run.json
  python3 benchmarks/scripts/gc_pauses.py --gc-log gc.log --json run.json

For each reported step (its startedAtEpochMs and sendSeconds from the JSON) it prints the pauses in the step's send
window: how many, by kind, how often, their median / p90 / max and their total as a share of the step; the heap
allocated per second (the young pauses' heap before, less the heap after the previous pause); and, when the log has
gc+age=trace, the mean bytes that survived each young pause, which is what a young pause copies.
"""
import argparse, datetime, json, re, statistics

# the decorations ([time][uptime]...) are group 1; the wall-clock time is the one with a 'T'
PAUSE = re.compile(r'^((?:\[[^\]]+\])+) GC\((\d+)\) (Pause \w+(?: \([^)]*\))*) (\d+)M->(\d+)M\((\d+)M\) ([0-9.]+)ms$')
AGE_TOTAL = re.compile(r'^((?:\[[^\]]+\])+) GC\((\d+)\) - age +\d+: +\d+ bytes, +(\d+) total$')


def epoch_ms(decorations):
    # -Xlog's time decoration: [2026-12-06T13:50:35.123+0000]; None without it
    for stamp in re.findall(r'\[([^\]]+)\]', decorations):
        if 'T' in stamp:
            return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp() * 1000
    return None


def read(gc_log):
    pauses, survivors = [], {}
    for line in open(gc_log):
        line = line.rstrip()
        m = PAUSE.match(line)
        if m:
            pauses.append({'at': epoch_ms(m.group(1)), 'gc': int(m.group(2)), 'kind': m.group(3).strip(),
                           'before': int(m.group(4)), 'after': int(m.group(5)), 'ms': float(m.group(7))})
            continue
        a = AGE_TOTAL.match(line)
        if a:
            # the last age line of a pause holds the total that survived it
            survivors[int(a.group(2))] = int(a.group(3))
    return pauses, survivors


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--gc-log', required=True, help='-Xlog:gc...:file=...:time output')
    p.add_argument('--json', required=True, help="the load test's --json output")
    args = p.parse_args()
    pauses, survivors = read(args.gc_log)
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


if __name__ == '__main__':
    main()
