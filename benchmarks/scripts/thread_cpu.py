#!/usr/bin/env python3
"""CPU of each thread of a running JVM, sampled from /proc, and its split by second of a load-test step.

  # started next to the load test: waits for its JVM, samples until it exits
  python3 benchmarks/scripts/thread_cpu.py sample --java-main org.streamrec.tools.loadtest.LoadTest --out threads.tsv &
  deploy/loadtest.sh ... --json run.json
  # or a running JVM by pid: thread_cpu.py sample --pid PID --out threads.tsv [--every-ms 200]
  # afterwards:
  python3 benchmarks/scripts/thread_cpu.py split --samples threads.tsv --json run.json [--series run-series.csv --stall-ms 700]

`sample` writes one line per thread per sample (epoch seconds, thread id, name, utime+stime in clock ticks, state)
until the process exits. `split` prints, per second of the reported step (--step, default the first; its
startedAtEpochMs from the load test's --json), the cores used by each thread group, and with --series/--stall-ms only
the seconds around stalls (1 s either side of each second with an answer slower than --stall-ms).
"""
import argparse, collections, csv, json, os, re, sys, time

GROUPS = [('session-recomme', 'operator'), ('Source_Data_Fet', 'source fetcher'), ('Source:', 'source'),
          ('rocksdb:high', 'rocksdb flush'), ('rocksdb:low', 'rocksdb compaction'), ('data-plane-kafk', 'broker'),
          ('kafka-producer-', 'producer I/O'), ('GC_Thread', 'GC'), ('G1', 'GC'), ('C2_CompilerThre', 'JIT'),
          ('C1_CompilerThre', 'JIT'), ('loadtest-answer', 'answer consumer'), ('loadtest-replay', 'replay')]


def sample(pid, out, every):
    ticks = os.sysconf('SC_CLK_TCK')
    with open(out, 'w') as f:
        f.write(f'# clock ticks per second {ticks}\n')
        while os.path.exists(f'/proc/{pid}'):
            now = time.time()
            try:
                tids = os.listdir(f'/proc/{pid}/task')
            except FileNotFoundError:
                break
            for tid in tids:
                try:
                    stat = open(f'/proc/{pid}/task/{tid}/stat').read()
                except (FileNotFoundError, ProcessLookupError):
                    continue
                name = stat[stat.index('(') + 1:stat.rindex(')')].replace(' ', '_').replace('\t', '_')
                fields = stat[stat.rindex(')') + 2:].split()
                f.write(f'{now:.3f}\t{tid}\t{name}\t{int(fields[11]) + int(fields[12])}\t{fields[0]}\n')
            time.sleep(every)


def wait_for_java(main_class):
    """The pid of the first java process whose command line names main_class (not a shell script that will start it:
    its command-substitution subshells carry the same arguments)."""
    while True:
        for pid in filter(str.isdigit, os.listdir('/proc')):
            try:
                argv = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\0')
            except OSError:
                continue
            if argv and os.path.basename(argv[0]) == b'java' and main_class.encode() in argv:
                return int(pid)
        time.sleep(0.1)


def group_of(name):
    return next((g for key, g in GROUPS if name.startswith(key)), 'other')


def split(a):
    ticks = 100
    rows = collections.defaultdict(dict)  # time -> tid -> (name, jiffies)
    for line in open(a.samples):
        if line.startswith('#'):
            ticks = int(re.search(r'(\d+)', line).group(1))
            continue
        t, tid, name, jiffies, _ = line.rstrip('\n').split('\t')
        rows[float(t)][tid] = (name, int(jiffies))
    step = json.load(open(a.json))['steps'][a.step]
    start = step['startedAtEpochMs'] / 1000.0
    per_second = collections.defaultdict(collections.Counter)
    times = sorted(rows)
    for t0, t1 in zip(times, times[1:]):
        second = int(t1 - start)
        for tid, (name, jiffies) in rows[t1].items():
            if tid in rows[t0]:
                per_second[second][group_of(name)] += (jiffies - rows[t0][tid][1]) / ticks
    wanted = sorted(s for s in per_second if 0 <= s < step['sendSeconds'])
    if a.series and a.stall_ms:
        stalls = [int(r['second']) for r in csv.DictReader(open(a.series)) if int(r['max_ms']) > a.stall_ms]
        print(f'stall seconds (an answer > {a.stall_ms} ms): {stalls}')
        wanted = [s for s in wanted if any(abs(s - x) <= 1 for x in stalls)]
    names = [g for _, g in GROUPS if any(per_second[s][g] for s in wanted)] + ['other']
    names = list(dict.fromkeys(names))
    print('second ' + ' '.join(f'{n[:12]:>12}' for n in names) + '   (cores)')
    for s in wanted:
        print(f'{s:6d} ' + ' '.join(f'{per_second[s][n]:12.2f}' for n in names))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='command', required=True)
    s = sub.add_parser('sample')
    target = s.add_mutually_exclusive_group(required=True)
    target.add_argument('--pid', type=int)
    target.add_argument('--java-main', help='wait for a java process running this main class')
    s.add_argument('--out', required=True)
    s.add_argument('--every-ms', type=int, default=200)
    p = sub.add_parser('split')
    p.add_argument('--samples', required=True)
    p.add_argument('--json', required=True)
    p.add_argument('--step', type=int, default=0)
    p.add_argument('--series')
    p.add_argument('--stall-ms', type=int)
    a = ap.parse_args()
    if a.command == 'sample':
        sample(a.pid or wait_for_java(a.java_main), a.out, a.every_ms / 1000.0)
    else:
        split(a)


if __name__ == '__main__':
    sys.exit(main())
