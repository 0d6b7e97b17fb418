#!/usr/bin/env python3
"""Who allocates in the load test's JVM, from an async-profiler allocation profile in collapsed form.

  AP=/path/to/async-profiler/lib/libasyncProfiler.so
  JAVA_OPTS="-Xmx2g -agentpath:$AP=start,event=alloc,alloc=256k,threads,collapsed,file=alloc.collapsed" \
    deploy/loadtest.sh ...
  python3 benchmarks/scripts/alloc_split.py alloc.collapsed [--top 25]

Prints the sampled allocations' shares by thread group (the groups of profile_split.py), by allocated type, and by
allocation site: the allocated type with the innermost frames above it. The collapsed form has no time stamps, so
the profile covers the JVM's whole run (warm-up step included); the Vector API's Java fallbacks, which allocate,
run only before C2 has compiled the kernels.
"""
import argparse, collections, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from profile_split import group_of  # noqa: E402  (the same thread groups as the CPU profile)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('collapsed', help="async-profiler's collapsed output with the threads option")
    p.add_argument('--top', type=int, default=25, help='rows per table (default 25)')
    p.add_argument('--frames', type=int, default=4, help='frames above the allocated type per site (default 4)')
    args = p.parse_args()
    total = 0
    by_group, by_type, by_site = collections.Counter(), collections.Counter(), collections.Counter()
    for line in open(args.collapsed):
        stack, _, count = line.rstrip().rpartition(' ')
        if not stack:
            continue
        count = int(count)
        frames = stack.split(';')
        thread = re.sub(r' tid=\d+$', '', frames[0].strip('[]'))
        allocated = re.sub(r'_\[[ik]\]$', '', frames[-1])
        total += count
        by_group[group_of(thread)] += count
        by_type[allocated] += count
        site = ' <- '.join(f.split('/')[-1] for f in reversed(frames[-1 - args.frames:-1]))
        by_site[(allocated, site)] += count
    if total == 0:
        raise SystemExit('no samples in ' + args.collapsed)
    print('%d samples' % total)
    for title, counter in (('by thread group', by_group), ('by allocated type', by_type)):
        print('\n' + title)
        for key, count in counter.most_common(args.top):
            print('  %5.1f%%  %s' % (100.0 * count / total, key))
    print('\nby allocation site (type <- innermost frames)')
    for (allocated, site), count in by_site.most_common(args.top):
        print('  %5.1f%%  %s <- %s' % (100.0 * count / total, allocated, site))


if __name__ == '__main__':
    main()
