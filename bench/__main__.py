"""`make bench`: measure, then write docs/benchmarks.md.

    python -m bench                       # every section, the figures the doc shows
    python -m bench --only capture        # one section; the doc's other sections are kept
    python -m bench --only report --quick # fewer repeats and sizes, to check the harness

A section whose code has not landed (ImportError) is reported as "not available" and the harness
goes on; the exit code is 1 only when a section really failed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import traceback
from pathlib import Path

from bench import machine
from bench.report import FAILED, NOT_AVAILABLE, SectionResult, render_document
from bench.sections import BY_NAME, SECTIONS, Context

DOC = Path("docs/benchmarks.md")
QUICK_DOC = Path(".bench-data/benchmarks-quick.md")
HEADER = """# Benchmarks

Written by `make bench` (`python -m bench`); do not edit by hand. Every figure is the median of
repeated runs with (min–max, n=runs); ratios are measured side by side in the same run. The
machine is shared with other jobs, so wall-clock figures are noisy: compare within a section.
"""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    ctx = Context(quick=args.quick, data_dir=args.data_dir)
    chosen = [BY_NAME[n] for n in args.only] if args.only else SECTIONS
    results = []
    for section in chosen:
        print(f"bench: {section.name} ...", file=sys.stderr, flush=True)
        result = _run(section, ctx, args)
        print(f"bench: {section.name}: {result.status} ({result.seconds:.1f} s)"
              + (f": {result.reason}" if result.reason else ""), file=sys.stderr, flush=True)
        results.append(result)
    total = sum(r.seconds for r in results)
    output = args.output or (QUICK_DOC if args.quick else DOC)
    output.parent.mkdir(parents=True, exist_ok=True)
    previous = output.read_text() if output.exists() else None
    facts = machine.render(machine.describe())
    facts += f"- Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, " \
             f"`{shlex.join(['python', '-m', 'bench', *(argv if argv is not None else sys.argv[1:])])}`, " \
             f"{total:.0f} s in all\n"
    text = render_document(HEADER, facts, results, previous,
                           order=[s.name for s in SECTIONS])
    output.write_text(text)
    print(f"bench: wrote {output}", file=sys.stderr)
    return 1 if any(r.status == FAILED for r in results) else 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(BY_NAME), default=[],
                        help="run this section only (repeatable)")
    parser.add_argument("--quick", action="store_true",
                        help=f"fewer repeats and sizes; writes {QUICK_DOC} unless --output")
    parser.add_argument("--output", type=Path, help=f"the document to write (default {DOC})")
    parser.add_argument("--data-dir", type=Path, default=Path(".bench-data"),
                        help="where generated data (TPC-H) is kept between runs")
    return parser.parse_args(argv)


def _run(section, ctx: Context, args: argparse.Namespace) -> SectionResult:
    command = "python -m bench --only " + section.name + (" --quick" if args.quick else "")
    start = time.perf_counter()
    try:
        result = section.run(ctx)
    except ImportError as exc:
        result = SectionResult(section.name, section.title, status=NOT_AVAILABLE,
                               reason=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a section's failure is reported, the others still run
        traceback.print_exc(file=sys.stderr)
        result = SectionResult(section.name, section.title, status=FAILED,
                               reason=f"{type(exc).__name__}: {exc}".splitlines()[0])
    result.name, result.title = section.name, result.title or section.title
    result.command = shlex.join(command.split())
    result.seconds = time.perf_counter() - start
    return result


if __name__ == "__main__":
    sys.exit(main())
