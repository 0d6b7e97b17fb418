#!/usr/bin/env python3
"""How many distinct users the load test's replay sends per second, by simulating its interleaving.

The load test (LoadTest.SessionCursor, SessionInterleaving) takes whole sessions from the events file in order,
round-robin, enough for each step, and gives click j of the i-th session the time i + j * concurrent, so that
`concurrent` sessions are in progress at once; the replay sends in that time order at the step's rate. A second with
few distinct users would mean micro-batches cut short by a user's second event (the operator flushes before an event
of a user with a pending request). This prints the seconds of a step with fewer than --min-users distinct users or
more than --max-close events within --batch-events of the same user's previous event, and the overall minimum.

  python3 benchmarks/scripts/replay_diversity.py --events ../shared/data/diginetica/diginetica_train.tsv.gz \\
      --rate 5000 --warmup-events 300000 --step-events 900000
"""
import argparse, collections, gzip, sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--events', required=True, help='SessionId, ItemId, Time (gzip TSV with a header)')
    ap.add_argument('--rate', type=int, default=5000)
    ap.add_argument('--concurrent', type=int, default=10000, help="the load test's --interleave (default 10000)")
    ap.add_argument('--warmup-events', type=int, default=300000, help='events of the steps before (the warm-up step)')
    ap.add_argument('--step-events', type=int, default=300000)
    ap.add_argument('--batch-events', type=int, default=25, help='events per micro-batch window (rate x delay / parallelism)')
    ap.add_argument('--min-users', type=int, default=3000)
    ap.add_argument('--max-close', type=int, default=50)
    a = ap.parse_args()

    sessions = collections.OrderedDict()
    with gzip.open(a.events, 'rt') as f:
        next(f)
        for line in f:
            session, item, _ = line.rstrip('\n').split('\t')
            sessions.setdefault(session, []).append(item)
    sessions = list(sessions.items())
    cursor = 0

    def next_sessions(limit):
        nonlocal cursor
        out, total, ids = [], 0, set()
        while total < limit:
            s = sessions[cursor]
            cursor = (cursor + 1) % len(sessions)
            if s[0] in ids:
                break
            ids.add(s[0])
            out.append(s)
            total += len(s[1])
        return out

    def send_order(step, limit):
        timed = sorted((i + j * a.concurrent, i, sid) for i, (sid, items) in enumerate(step) for j in range(len(items)))
        return [sid for _, _, sid in timed[:limit]]

    if a.warmup_events:
        send_order(next_sessions(a.warmup_events), a.warmup_events)
    order = send_order(next_sessions(a.step_events), a.step_events)
    print(f'{len(sessions)} sessions in the file; step of {len(order)} events at {a.rate}/s')
    fewest = None
    for second in range(len(order) // a.rate):
        window = order[second * a.rate:(second + 1) * a.rate]
        last, close = {}, 0
        for k, user in enumerate(window):
            if user in last and k - last[user] < a.batch_events:
                close += 1
            last[user] = k
        distinct = len(set(window))
        fewest = distinct if fewest is None else min(fewest, distinct)
        if distinct < a.min_users or close > a.max_close:
            print(f'second {second}: {distinct} distinct users, {close} events within {a.batch_events} of the same user')
    print(f'fewest distinct users in a second: {fewest}')


if __name__ == '__main__':
    sys.exit(main())
