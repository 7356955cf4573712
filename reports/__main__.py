"""Command line of the certification.

    python -m reports certify [--evidence FILE ...]   # writes reports/certification.json and .md
    python -m reports attestation-text FILE           # the text a signer signs (see attestations/)
    python -m reports allure-files RESULTS_DIR        # environment, executor and categories for Allure
    python -m reports campaign --seeds N [...]       # many seeds on Dask, intervals (reports/campaign.py)

``certify`` exits 0 only when the run is approved for go-live, 1 when it is not, 2 when it cannot
read what it was given (no evidence at all, a malformed line, an inconsistent register).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reports import allure_files, campaign
from reports.attestations import DIRECTORY, canonical_text, judge, read_attestation
from reports.certification import certify, current_commit, load_audit, load_campaign
from reports.register import RegisterError, load_register
from reports.render import console, markdown
from reports.results import EvidenceError, load_evidence, planned_scenarios

ROOT = Path(__file__).resolve().parent.parent


def run_certify(args: argparse.Namespace) -> int:
    try:
        register = load_register()
        records = load_evidence(*args.evidence)
        planned = planned_scenarios(args.features)
        audit = load_audit(args.audit)
        campaign = load_campaign(args.campaign)
    except (RegisterError, EvidenceError, ValueError) as exc:
        print(f"certify: {exc}", file=sys.stderr)
        return 2
    if not records:
        names = ", ".join(str(p) for p in args.evidence)
        print(f"certify: no scenario recorded in {names}: did behave run?", file=sys.stderr)
        return 2
    attestation_ids = [c.id for c in register.criteria if c.kind == "attestation"]
    cert = certify(
        register,
        planned,
        records,
        judge(attestation_ids, args.attestations),
        audit=audit,
        campaign=campaign,
        commit=current_commit(ROOT),
        started=args.started,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "certification.json").write_text(
        json.dumps(cert.as_json(), indent=2) + "\n", encoding="utf-8"
    )
    (args.out / "certification.md").write_text(markdown(cert), encoding="utf-8")
    if not args.quiet:
        print(console(cert))
    return 0 if cert.approved else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports")
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("certify", help="certify a run from its evidence")
    c.add_argument("--evidence", type=Path, action="append", help="evidence file (repeat to merge)")
    c.add_argument("--features", type=Path, default=Path("features"))
    c.add_argument("--attestations", type=Path, default=DIRECTORY)
    c.add_argument("--audit", type=Path, default=Path("reports/audit.json"))
    c.add_argument("--campaign", type=Path, default=Path("reports/campaign.json"))
    c.add_argument("--out", type=Path, default=Path("reports"))
    c.add_argument("--started", help="when the run started (ISO 8601), if the evidence does not say")
    c.add_argument("--quiet", action="store_true", help="write the files, print nothing")
    t = commands.add_parser("attestation-text", help="print the canonical text of an attestation to sign")
    t.add_argument("file", type=Path)
    a = commands.add_parser(
        "allure-files", help="write environment.properties, executor.json, categories.json"
    )
    a.add_argument("results", type=Path)
    campaign.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "certify":
        args.evidence = args.evidence or [
            Path("reports/evidence.jsonl"),
            Path("reports/verdict-evidence.jsonl"),
        ]
        return run_certify(args)
    if args.command == "campaign":
        return campaign.main(args)
    if args.command == "attestation-text":
        sys.stdout.write(canonical_text(read_attestation(args.file)))
        return 0
    allure_files.write_all(args.results, ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
