"""`intake extract FILE... [--json] [--cleanup]`: run the extraction library on local files.

One result per file: with --json one JSON object per line (ExtractionResult.to_dict(), the
output contract), otherwise a short summary. A file that cannot be processed gets one line on
stderr naming it, the error code and the reason; the other files are still processed and the
exit status is 1. A configuration error (policy, model) stops everything with status 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extraction.errors import ConfigurationError, IntakeError

if TYPE_CHECKING:
    from assessment.config import AssessmentConfig
    from extraction.models import ExtractionResult


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("extract", help="extract fields and policy criteria from files")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--json", action="store_true", help="one JSON object per file per line")
    parser.add_argument("--cleanup", action="store_true",
                        help="deskew, despeckle and remove lines before OCR")
    parser.add_argument("--policy", metavar="ID_OR_FILE",
                        help="judge every file by this policy (a registered id or a TOML file); by default "
                             "each packet's requested HCPCS code chooses it")
    parser.add_argument("--policy-dir", type=Path, action="append", default=[], metavar="DIR",
                        help="an extra folder of policy TOML files (repeatable)")
    parser.add_argument("--max-pages", type=int, help="reject documents with more pages")
    parser.add_argument("--max-bytes", type=int, help="reject files larger than this")
    parser.add_argument("--scispacy-model", metavar="NAME_OR_PATH",
                        help="base the NLP on an installed scispaCy/spaCy model (e.g. en_core_sci_sm)")
    parser.add_argument("--no-ner", action="store_true", help="rules only: leave out the trained NER")
    add_ocr_engine_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assessment.pipeline import Assessor  # heavy (spaCy); only when the command runs

    try:
        assessor = Assessor(config_from_args(args))
    except (ConfigurationError, ValueError) as exc:
        print(f"intake extract: configuration error: {exc}", file=sys.stderr)
        return 2
    requested = None
    if args.policy:
        requested = (assessor.default_policy.policy.id if Path(args.policy).is_file() else args.policy)
        if requested not in assessor.policies.ids():
            print(f"intake extract: unknown policy {args.policy!r}; known: {', '.join(assessor.policies.ids())}",
                  file=sys.stderr)
            return 2
    failed = 0
    for path in args.files:
        try:
            result = assessor.extract(read_file(path), source=str(path), policy_id=requested,
                                      chosen_by="command line")
        except IntakeError as exc:
            failed += 1
            print(f"intake extract: {path}: {exc.code}: {exc.message}", file=sys.stderr)
            continue
        print(json.dumps(result.to_dict(), default=json_default) if args.json else summary(result),
              flush=True)
    return 1 if failed else 0


class UnreadableFile(IntakeError):
    code = "unreadable_file"


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file ({exc.strerror})") from exc


def config_from_args(args: argparse.Namespace) -> AssessmentConfig:
    from assessment.config import AssessmentConfig  # imports scikit-learn (calibration)

    config = AssessmentConfig(ocr_cleanup=args.cleanup, ocr_engine=chosen_ocr_engine(args))
    limits = {name: value for name, value in
              (("max_pages", args.max_pages), ("max_bytes", args.max_bytes)) if value is not None}
    if limits:
        config = dataclasses.replace(config, limits=dataclasses.replace(config.limits, **limits))
    if args.policy and Path(args.policy).is_file():
        config = dataclasses.replace(config, policy_path=Path(args.policy))
    if args.policy_dir:
        config = dataclasses.replace(config, policy_dirs=tuple(args.policy_dir))
    if args.scispacy_model:
        config = dataclasses.replace(config, scispacy_model=args.scispacy_model)
    if args.no_ner:
        config = dataclasses.replace(config, ner_model=None)
    return config


# extraction.ocr.ENGINE_NAMES (a test keeps them equal); that module imports pytesseract and PIL.
OCR_ENGINES = ("tesseract", "tesserocr")


def add_ocr_engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ocr-engine", choices=OCR_ENGINES,
                        help="OCR engine (default: INTAKE_OCR_ENGINE, else the service's default)")


def chosen_ocr_engine(args: argparse.Namespace) -> str:
    if args.ocr_engine:
        return args.ocr_engine
    from intake.settings import Settings
    return Settings().ocr_engine


def json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def summary(result: ExtractionResult) -> str:
    found = sum(1 for fv in result.fields.values() if fv.value not in (None, "", []))
    failed_pages = [p.number for p in result.pages if p.method == "failed"]
    lines = [f"{result.source}: {len(result.pages)} pages, {found}/{len(result.fields)} fields found, "
             f"recommendation {result.recommendation} ({result.seconds:.1f}s)"]
    if failed_pages:
        lines.append(f"  unreadable pages: {failed_pages}")
    lines += [f"  {c.id}: {c.status} ({c.confidence:.2f}) {c.explanation}" for c in result.criteria]
    if result.policy:
        lines.append(f"  policy: {result.policy.id} version {result.policy.version} ({result.policy.chosen_by})")
    lines += [f"  notice: {n}" for n in result.notices]
    return "\n".join(lines)
