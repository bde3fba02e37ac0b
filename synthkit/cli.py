"""The ``synthkit`` command line (also ``python -m synthkit``).

Commands:

- ``synthkit evaluate REAL SYNTHETIC -o report.json [--html report.html] [--gate] [--previous accepted.json]``
- ``synthkit generate SEED --generator copula -n 1000 -o out.parquet``
- ``synthkit report report.json --html report.html``
- ``synthkit sanitize-path``

Exit status: 0 success (and every gate rule passed), 1 a quality gate failed,
2 bad usage or bad input (a missing or unreadable file, unknown columns,
metrics or options), 3 an unexpected internal error. Every error is one line
on stderr, never a traceback. Heavy modules (the metrics, plotly) load only in
the command that needs them, so ``synthkit --help`` is quick.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any, Sequence

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) raised as :class:`UsageError`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (kept import-light)."""
    p = _Parser(
        prog="synthkit",
        description="Inspect synthetic data before anyone trains on it: evaluate a synthetic file against the "
                    "real one, gate it against the real-vs-real baseline and a previously accepted report, "
                    "generate synthetic rows, re-render saved reports.",
        epilog="Exit status: 0 ok, 1 a quality gate failed, 2 bad usage or bad input, 3 internal error.",
    )
    p.add_argument("--version", action="version", version=f"synthkit {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    # ------------------------------------------------------------------ evaluate
    ev = sub.add_parser(
        "evaluate", help="measure a synthetic file against the real one; optionally gate it",
        description="Measure SYNTHETIC against REAL with every metric family, their size-matched real-vs-real "
                    "baselines and 95%% intervals; print the headline table; save the report as JSON (and HTML). "
                    "With --gate (or --previous, or --rule) apply a quality gate and exit 1 when it fails.",
    )
    ev.add_argument("real", metavar="REAL",
                    help="the real rows: a CSV or parquet file, or an embedded dataset name (penguins, digits, adult)")
    ev.add_argument("synthetic", metavar="SYNTHETIC",
                    help="the synthetic rows: a CSV or parquet file with the real file's columns")
    _roles(ev)
    ev.add_argument("--holdout", metavar="FILE",
                    help="real rows the generator never saw (CSV/parquet): utility tests on them and privacy adds "
                         "a memorisation check (default: utility tests on a seeded 30%% of REAL)")
    ev.add_argument("--families", nargs="+", metavar="FAMILY",
                    help="metric families to run (default: all): fidelity pairwise detection coverage privacy "
                         "utility subgroup")
    ev.add_argument("--random-state", type=int, default=0, metavar="SEED",
                    help="seed of every random step (splits, bootstrap, permutations, models; default 0)")
    ev.add_argument("--n-boot", type=int, default=100, metavar="N",
                    help="bootstrap replicates behind each 95%% interval (default 100; 0 = no intervals)")
    ev.add_argument("--n-perm", type=int, default=None, metavar="N",
                    help="permutations behind each 'worse than real' verdict of the permutation-tested metrics "
                         "(default 19: smallest p-value 0.05; the gate checks these metrics family-wise only "
                         "with more, as its note says)")
    ev.add_argument("-o", "--json", dest="json", metavar="REPORT.json",
                    help="write the report as JSON (values, intervals, baselines, settings, synthkit version); "
                         "a later run can gate against it with --previous")
    ev.add_argument("--html", metavar="REPORT.html", help="write the standalone HTML report (tables and figures)")
    ev.add_argument("--gate", action="store_true",
                    help="apply the default quality gate (no headline metric worse than real, family-wise error "
                         "controlled at --alpha) and exit 1 if it fails")
    ev.add_argument("--rule", action="append", metavar="RULE", dest="rules",
                    help="an absolute threshold added to the gate (repeatable; implies --gate): METRIC, "
                         "FAMILY/METRIC or FAMILY, then <=, >=, < or >, then a number, e.g. "
                         "'detection_auc<=0.6' or 'fidelity>=0.9'")
    ev.add_argument("--previous", metavar="ACCEPTED.json",
                    help="a report saved earlier (-o) for the same real data: also fail when a metric is worse "
                         "than in it (implies --gate)")
    ev.add_argument("--tolerance", type=float, default=0.02,
                    help="with --previous: how much worse than the previous report a metric may get, in its "
                         "own units (default 0.02)")
    ev.add_argument("--alpha", type=float, default=0.05,
                    help="family-wise false-alarm rate of the gate's statistical rules (default 0.05)")
    ev.add_argument("--digits", type=int, default=3, help="decimals printed in the tables (default 3)")
    ev.set_defaults(func=_cmd_evaluate)

    # ------------------------------------------------------------------ generate
    ge = sub.add_parser(
        "generate", help="fit a generator on seed rows and write synthetic rows",
        description="Fit GENERATOR on the SEED rows and write N synthetic rows (same columns) to -o.",
    )
    ge.add_argument("seed", metavar="SEED", nargs="?",
                    help="the seed rows: an embedded dataset name (penguins, digits, adult) or a CSV/parquet file")
    ge.add_argument("-g", "--generator", default="copula",
                    help="generator name (default copula); 'synthkit generate --list' shows them")
    ge.add_argument("-n", "--rows", dest="n", type=int, default=None, metavar="N",
                    help="number of synthetic rows (default: as many as the seed)")
    ge.add_argument("-o", "--output", metavar="OUT", required=False,
                    help="output file; .parquet or .csv (required unless --list)")
    ge.add_argument("--random-state", type=int, default=0, metavar="SEED",
                    help="seed of the draw (default 0); the same seed gives the same rows")
    ge.add_argument("--list", action="store_true", help="list the generator names and exit")
    _roles(ge)
    ge.set_defaults(func=_cmd_generate)

    # ------------------------------------------------------------------ report
    re_ = sub.add_parser(
        "report", help="print or re-render a saved report without the data",
        description="Load a report saved by 'synthkit evaluate -o' and print its headline table; with --html "
                    "write the HTML report again (no data needed).",
    )
    re_.add_argument("report", metavar="REPORT.json", help="a report saved by 'synthkit evaluate -o'")
    re_.add_argument("--html", metavar="REPORT.html", help="write the HTML report")
    re_.add_argument("--digits", type=int, default=3, help="decimals printed in the table (default 3)")
    re_.set_defaults(func=_cmd_report)

    # ------------------------------------------------------------------ sanitize-path
    sp = sub.add_parser(
        "sanitize-path", help="print the path of the nbval sanitize rules shipped with synthkit",
        description="Print the path of synthkit's nbval sanitize file, for "
                    "'pytest --nbval --nbval-sanitize-with \"$(synthkit sanitize-path)\"' "
                    "(or use 'pytest --nbval --synthkit-sanitize').",
    )
    sp.set_defaults(func=_cmd_sanitize_path)
    return p


def _roles(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", metavar="COLUMN", help="the target column (utility trains models to predict it)")
    p.add_argument("--sensitive", nargs="+", metavar="COLUMN",
                   help="sensitive columns (subgroup balance is checked for their groups)")
    p.add_argument("--categorical", nargs="+", metavar="COLUMN",
                   help="columns to treat as categorical even if they hold numbers")
    p.add_argument("--text", nargs="+", metavar="COLUMN", help="free-text columns (one document per cell)")


# ---------------------------------------------------------------------- commands
def _seed(args: argparse.Namespace, spec: str):
    from .regression import load_seed

    return load_seed(spec, target=args.target, sensitive=args.sensitive, categorical=args.categorical,
                     text=args.text)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import synthkit as sk
    from .regression import read_rows

    _check_outputs(json=args.json, html=args.html)
    rules = ", ".join(args.rules) if args.rules else None
    if rules:
        from .metrics.gate import parse_rules

        parse_rules(rules)  # a malformed rule fails before the evaluation, not after
    previous = sk.load_report(args.previous) if args.previous else None
    real = _seed(args, args.real)
    synthetic = read_rows(args.synthetic, "synthetic data")
    holdout = read_rows(args.holdout, "holdout data") if args.holdout else None
    extra = {} if args.n_perm is None else {"n_perm": args.n_perm}
    rep = sk.evaluate(real, synthetic, holdout=holdout, random_state=args.random_state, n_boot=args.n_boot,
                      families=args.families, **extra)
    _print_headline(rep, args.digits)
    if args.json:
        rep.save(args.json)
        print(f"report: {args.json}")
    if args.html:
        rep.to_html(args.html)
        print(f"html: {args.html}")
    if not (args.gate or args.rules or previous is not None):
        return EXIT_OK
    result = rep.gate(rules, previous=previous, alpha=args.alpha, tolerance=args.tolerance)
    print()
    print(repr(result))
    if result.passed:
        return EXIT_OK
    for line in result.failures():
        print(f"failed: {_one_line(line)}")
    print(f"synthkit: quality gate failed: {result.failed.height} of {result.table.height} rules "
          f"({', '.join(dict.fromkeys(result.failed['metric'].to_list()))})", file=sys.stderr)
    return EXIT_GATE


def _cmd_generate(args: argparse.Namespace) -> int:
    from . import generators

    if args.list:
        for name in generators.available():
            print(f"{name:12s} {generators.get(name).summary}")
        return EXIT_OK
    if not args.seed:
        raise UsageError("generate needs SEED (an embedded dataset name or a CSV/parquet file) "
                         "(see 'synthkit generate --help')")
    if not args.output:
        raise UsageError("generate needs -o OUT (a .parquet or .csv file) (see 'synthkit generate --help')")
    from .batch import generate
    from .data import ROW_ID
    from .regression import write_rows

    _check_outputs(rows=args.output)
    seed = _seed(args, args.seed)
    batch = generate(seed, args.generator, n=len(seed) if args.n is None else args.n,
                     random_state=args.random_state)
    write_rows(batch.frame.drop(ROW_ID), args.output)
    print(f"{len(batch)} rows from {args.generator!r} (random_state={args.random_state}) -> {args.output}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    import synthkit as sk

    _check_outputs(html=args.html)
    rep = sk.load_report(args.report)
    _print_headline(rep, args.digits)
    if args.html:
        rep.to_html(args.html)
        print(f"html: {args.html}")
    return EXIT_OK


def _cmd_sanitize_path(args: argparse.Namespace) -> int:
    from .pytest_plugin import sanitize_path

    print(sanitize_path())
    return EXIT_OK


# ---------------------------------------------------------------------- output
def _check_outputs(**paths: str | None) -> None:
    """Fail before any work when an output's folder is missing or its suffix is wrong."""
    from pathlib import Path

    from .errors import DataError

    suffixes = {"json": (".json",), "html": (".html", ".htm"), "rows": (".csv", ".tsv", ".parquet", ".pq")}
    for kind, path in paths.items():
        if not path:
            continue
        p = Path(path).expanduser()
        if p.suffix.lower() not in suffixes[kind]:
            raise DataError(f"output {path!r} should end in {' or '.join(suffixes[kind])}")
        if not p.parent.exists():
            raise DataError(f"folder {str(p.parent)!r} of the output {path!r} does not exist; create it first")


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width table: left-aligned text, right-aligned numbers."""
    cells = [[str(h) for h in header]] + [["-" if v is None else str(v) for v in r] for r in rows]
    numeric = [all(_is_number(r[j]) for r in cells[1:]) and len(cells) > 1 for j in range(len(header))]
    width = [max(len(r[j]) for r in cells) for j in range(len(header))]
    lines = []
    for i, r in enumerate(cells):
        parts = [(r[j].rjust(width[j]) if numeric[j] and i else r[j].ljust(width[j])) for j in range(len(header))]
        lines.append("  ".join(parts).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in width))
    return "\n".join(lines)


def _is_number(s: str) -> bool:
    if s == "-":
        return True
    try:
        float(s)
    except ValueError:
        return False
    return True


def _fmt(v: Any, digits: int) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _print_headline(rep: Any, digits: int) -> None:
    h = rep.headline()
    rows = []
    for r in h.iter_rows(named=True):
        name = r["metric"] + (f" ({r['column']})" if r.get("column") else "")
        ci = "-" if r.get("ci_low") is None else f"{_fmt(r['ci_low'], digits)}..{_fmt(r['ci_high'], digits)}"
        rows.append([r["family"], name, _fmt(r["value"], digits), ci, _fmt(r.get("baseline"), digits),
                     _fmt(r.get("p_value"), 2), r.get("status") or ""])
    s = rep.summary
    print(f"{s['synthetic_name']} ({s['n_synthetic']} rows) vs {s['dataset']} ({s['n_real']} rows), "
          f"random_state={s['random_state']}")
    print(text_table(["family", "metric", "value", "95% interval", "real vs real", "p", "status"], rows))


# ---------------------------------------------------------------------- entry point
def _one_line(msg: Any) -> str:
    return " ".join(str(msg).split())


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"synthkit: warning: {_one_line(message)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (never raises, never prints a traceback)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        with warnings.catch_warnings():
            warnings.showwarning = _warn_one_line
            warnings.simplefilter("default")
            return args.func(args)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
    except UsageError as exc:
        print(f"synthkit: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("synthkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error is one line
        from .errors import SynthkitError

        if isinstance(exc, (SynthkitError, OSError)):
            print(f"synthkit: error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_USAGE
        if os.environ.get("SYNTHKIT_DEBUG"):
            raise
        print(f"synthkit: internal error ({type(exc).__name__}): {_one_line(exc)}; "
              "set SYNTHKIT_DEBUG=1 to see the traceback", file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
