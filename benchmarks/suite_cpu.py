"""CPU-seconds per test file from the log the test suite writes with ``NER_TEST_CPU_LOG=<file>`` (see
tests/conftest.py), one log or a before/after pair:

    NER_TEST_CPU_LOG=/tmp/before.cpu python -m pytest -q -m "not container" tests
    python scripts/benchmark.py suite_cpu /tmp/before.cpu [/tmp/after.cpu] [--top 20]
    python scripts/benchmark.py suite_cpu /tmp/run.cpu --write-costs tests/file_costs.json

``--write-costs`` records each file's CPU-seconds where tests/conftest.py reads them to hand out the costliest
files first under pytest-xdist.

CPU (user + system of pytest and of the subprocesses it waited for) is the figure that stays comparable on a
shared machine, where wall time moves with other people's load. A module-scoped fixture's subprocesses are
counted in the test during which they are waited for, so read files, not single tests.
"""
import argparse
import collections
import json
import os
import sys


def per_file(path):
    """{test file: (tests, CPU-seconds)} from one log; a malformed line names the file and line."""
    seconds, counts = collections.defaultdict(float), collections.Counter()
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            node, sep, value = line.rstrip("\n").rpartition("\t")
            try:
                cpu = float(value)
            except ValueError:
                sep = ""
            if not sep:
                raise SystemExit(f"{path}:{number}: expected 'nodeid<TAB>seconds', got {line.strip()!r}")
            name = node.split("::")[0]
            seconds[name] += cpu
            counts[name] += 1
    return {name: (counts[name], seconds[name]) for name in seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs", nargs="+", help="one log, or a before and an after log")
    parser.add_argument("--top", type=int, default=20, help="files to list, most CPU first")
    parser.add_argument("--write-costs", metavar="JSON", help="write {test file: CPU-seconds} of the (last) log")
    args = parser.parse_args(argv)
    if len(args.logs) > 2:
        parser.error("give one log or two (before, after)")
    tables = [per_file(path) for path in args.logs]
    if args.write_costs:
        write_costs(tables[-1], args.write_costs)
    first = tables[0]
    names = sorted(set().union(*tables), key=lambda n: -max(t.get(n, (0, 0.0))[1] for t in tables))
    header = "| file | tests | " + " | ".join(["CPU-s before", "CPU-s after"][:len(tables)] if len(tables) == 2
                                               else ["CPU-s"]) + " |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for name in names[:args.top]:
        cells = [f"{t[name][1]:.0f}" if name in t else "-" for t in tables]
        tests = (tables[-1].get(name) or first.get(name))[0]
        print(f"| `{name.split('/')[-1]}` | {tests} | " + " | ".join(cells) + " |")
    totals = [sum(s for _, s in t.values()) for t in tables]
    counts = [sum(n for n, _ in t.values()) for t in tables]
    print(f"| total | {counts[-1]} | " + " | ".join(f"{s:.0f}" for s in totals) + " |")
    return 0


def write_costs(table, path):
    """{file name: CPU-seconds, rounded}, costliest first, written whole or not at all."""
    costs = {os.path.basename(name): round(seconds, 1)
             for name, (_, seconds) in sorted(table.items(), key=lambda item: -item[1][1])}
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(costs, fh, indent=1)
        fh.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
