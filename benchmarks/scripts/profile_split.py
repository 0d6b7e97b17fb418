#!/usr/bin/env python3
"""Where a load-test step's CPU went, from an async-profiler CPU profile in JFR format.

Run the load test with the profiler on the JVM (see BENCHMARKS.md, "The changelog state backend against the checkpoint
pauses") and --json; this reads the samples taken during the step's send window (its startedAtEpochMs and
sendSeconds from the JSON) and prints: cores by thread group, the serving operator's time by stage, its hottest
stacks; with --series and --stall-ms, the operator's frames in the stall windows (1 s either side of each second
with an answer slower than --stall-ms) against the rest of the step, by stage and by stack.

  python3 benchmarks/scripts/profile_split.py --jfr prof.jfr --json run.json [--series run-series.csv --stall-ms 700]

Needs the JDK's `jfr` tool on the PATH. Samples are attributed by thread name, so the groups are those of the
embedded load test (one JVM: broker, Flink, replay, consumer).
"""
import argparse, collections, csv, datetime, json, re, subprocess, sys

# (substring of a thread name, group); the first match wins
THREAD_GROUPS = [
    ('session-recommender', 'serving operator (+ chained sink writer)'), ('Source Data Fetcher', 'Kafka source fetchers'),
    ('Source:', 'Kafka source + decode'), ('kafka-producer-network-thread', 'Kafka producer I/O threads'),
    ('data-plane-kafka-request-handler', 'broker request handlers'), ('data-plane-kafka-network', 'broker network'),
    ('kafka', 'broker, other'), ('loadtest-answers', 'answer consumer'), ('loadtest-replay', 'replay producer'),
    ('GC Thread', 'GC'), ('G1', 'GC'), ('CompilerThre', 'JIT'), ('rocksdb', 'RocksDB background'),
    ('Changelog', 'changelog upload'), ('flink', 'Flink, other'), ('Flink', 'Flink, other'),
]
# (frame substring, stage) for the operator's samples; the first match wins (order = nesting, innermost first)
OPERATOR_STAGES = [
    ('snappy', 'RocksDB block decompression (snappy): block-cache misses'),
    ('LowRankScoreBound.projectSlice', 'top-k: rank-m products of the slice'),
    ('LowRankScoreBound.scoreCandidates', 'top-k: candidates scored in full (gathers)'),
    ('collectUpperAtLeast', 'top-k: bound compare'),
    ('LowRankScoreBound.scoreHead', 'top-k: head scored in full'),
    ('LowRankScoreBound.project', 'top-k: per-row projection'),
    ('Gru4RecModel.scoreInSlices', 'top-k: every item scored (no bound)'),
    # what the operator does for each row inside topKRows' visitor: state write, emit, the chained sink
    ('rocksdb', 'RocksDB (native)'), ('RocksDB', 'RocksDB (Java side)'),
    ('Serializer', 'Flink serializers (state value, record copies)'), ('changelog', 'changelog'),
    ('org.apache.avro', 'Avro (output encoding)'), ('kafka', 'Kafka sink writer'),
    ('Gru4RecModel.topKRows', 'top-k: other'),
    ('Gru4RecModel.stepAll', 'GRU step'),
]


def samples(jfr_file):
    out = subprocess.run(['jfr', 'print', '--stack-depth', '80', '--events', 'jdk.ExecutionSample', jfr_file],
                         capture_output=True, text=True, check=True).stdout
    for event in out.split('jdk.ExecutionSample {')[1:]:
        when = re.search(r'startTime = ([0-9:.]+)', event)
        thread = re.search(r'sampledThread = "([^"]+)"', event)
        if not when or not thread:
            continue
        body = event.split('stackTrace = [', 1)[1] if 'stackTrace = [' in event else ''
        frames = [re.sub(r'\(.*', '', line.strip()).split(' line:')[0] for line in body.split('\n')[1:]
                  if line.strip() and line.strip() not in (']', '}', '...')]
        yield when.group(1), thread.group(1), frames


def group_of(thread):
    return next((g for key, g in THREAD_GROUPS if key in thread), 'other: ' + re.sub(r'\d+', '#', thread)[:40])


def stage_of(frames):
    joined = '\n'.join(frames)
    return next((s for key, s in OPERATOR_STAGES if key in joined), 'other')


def short(frame):
    return '.'.join(frame.split('.')[-2:]) if '/' not in frame else frame.rsplit('/', 1)[-1][:60]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--jfr', required=True)
    ap.add_argument('--json', required=True, help="the load test's --json output (first reported step unless --step)")
    ap.add_argument('--step', type=int, default=0, help='index of the reported step (default 0)')
    ap.add_argument('--interval-ms', type=float, default=10, help="the profiler's sampling interval (default 10)")
    ap.add_argument('--series', help="the load test's --latency-series CSV, for --stall-ms")
    ap.add_argument('--stall-ms', type=int, help='seconds with an answer slower than this are stalls')
    ap.add_argument('--top', type=int, default=15)
    a = ap.parse_args()

    step = json.load(open(a.json))['steps'][a.step]
    start = step['startedAtEpochMs'] / 1000.0
    duration = step['sendSeconds']
    day = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).date()
    stalls = []
    if a.series and a.stall_ms:
        stalls = [int(r['second']) for r in csv.DictReader(open(a.series)) if int(r['max_ms']) > a.stall_ms]

    def seconds_into_step(hms):
        h, m, s = hms.split(':')
        t = datetime.datetime(day.year, day.month, day.day, int(h), int(m), tzinfo=datetime.timezone.utc).timestamp()
        return t + float(s) - start

    groups, stages, stacks = collections.Counter(), collections.Counter(), collections.Counter()
    in_stall, outside = collections.Counter(), collections.Counter()
    stages_in_stall, stages_outside = collections.Counter(), collections.Counter()
    total = operator = n_stall = n_out = 0
    for hms, thread, frames in samples(a.jfr):
        sec = seconds_into_step(hms)
        if not 0 <= sec <= duration:
            continue
        total += 1
        groups[group_of(thread)] += 1
        if 'session-recommender' not in thread:
            continue
        operator += 1
        stages[stage_of(frames)] += 1
        top = ' < '.join(short(f) for f in frames[:4])
        stacks[top] += 1
        if stalls:
            if any(s - 1 <= sec < s + 2 for s in stalls):
                in_stall[top] += 1
                stages_in_stall[stage_of(frames)] += 1
                n_stall += 1
            else:
                outside[top] += 1
                stages_outside[stage_of(frames)] += 1
                n_out += 1

    cores = lambda n: n * a.interval_ms / 1000.0 / duration
    print(f'step {a.step} of {a.json}: {duration:.1f} s from {datetime.datetime.fromtimestamp(start, datetime.timezone.utc):%H:%M:%S} UTC, '
          f'{total} samples = {cores(total):.2f} cores')
    print('cores by thread group:')
    for g, n in groups.most_common():
        if cores(n) >= 0.005:
            print(f'  {cores(n):5.2f}  {g}')
    def shares(counts, total, limit=None):
        for key, n in counts.most_common(limit):
            print(f'  {100 * n / total:5.1f}%  {key}')

    def stall_shares(stall_counts, other_counts, limit=None):
        for key, n in stall_counts.most_common(limit):
            print(f'  {100 * n / n_stall:5.1f}% in stalls, {100 * other_counts[key] / max(1, n_out):5.1f}% outside  {key}')

    if operator:
        print(f'serving operator threads, {cores(operator):.2f} cores, by stage:')
        shares(stages, operator)
        print('hottest stacks (4 innermost frames):')
        shares(stacks, operator, a.top)
    if stalls:
        print(f'stall seconds (an answer > {a.stall_ms} ms): {stalls}; operator samples {n_stall} in their windows, {n_out} outside')
        stall_shares(stages_in_stall, stages_outside)
        print('hottest stacks in the stall windows:')
        stall_shares(in_stall, outside, a.top)

if __name__ == '__main__':
    sys.exit(main())
