"""Signed attestations: the evidence for criteria that cannot be automated (P4-TEAM-READINESS).

An attestation is a YAML file in ``attestations/`` with ``who``, ``role``, ``date``, ``criteria`` (the
ids it attests), ``statement`` and ``signature``. It is "attested" only when the signature is a valid
SSH signature (``ssh-keygen -Y sign``, namespace ``allusecert-attestation``) of the file's canonical
text (``python -m reports attestation-text FILE``) by the key that ``attestations/allowed_signers``
lists for ``who``: the same mechanism git uses to verify SSH-signed commits. A file that is absent,
unsigned, signed by someone not listed, or edited after signing is "not attested", with the reason.
Nothing here ever turns an attestation into a pass of an automatic criterion.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

NAMESPACE = "allusecert-attestation"
FIELDS = ("who", "role", "date", "criteria", "statement")
DIRECTORY = Path("attestations")
SIGNERS = "allowed_signers"


@dataclass(frozen=True, slots=True)
class Verdict:
    criterion: str
    attested: bool
    reason: str  # who attested and when, or why it is not attested
    file: str | None = None
    who: str | None = None
    role: str | None = None
    date: str | None = None


def canonical_text(fields: dict) -> str:
    """The exact text a signer signs: the fields in a fixed order, one per line."""
    criteria = fields.get("criteria") or []
    lines = [
        f"who: {fields.get('who', '')}",
        f"role: {fields.get('role', '')}",
        f"date: {fields.get('date', '')}",
        f"criteria: {', '.join(str(c) for c in criteria)}",
        f"statement: {' '.join(str(fields.get('statement', '')).split())}",
    ]
    return "\n".join(lines) + "\n"


def read_attestation(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with {', '.join(FIELDS)} and signature")
    if isinstance(data.get("date"), datetime.date):
        data["date"] = data["date"].isoformat()
    return data


def _problem(data: dict) -> str | None:
    missing = [f for f in (*FIELDS, "signature") if not data.get(f)]
    if missing:
        return f"no {', '.join(missing)}"
    if not isinstance(data["criteria"], list):
        return "criteria must be a list of register ids"
    return None


def verify_signature(data: dict, signers: Path) -> str | None:
    """None when the signature is valid for ``who``; otherwise the reason it is not."""
    if not signers.exists():
        return f"no list of allowed signers ({signers})"
    tool = shutil.which("ssh-keygen")
    if tool is None:
        return "ssh-keygen (Debian package openssh-client) is not installed, so no signature can be checked"
    with tempfile.TemporaryDirectory() as tmp:
        signature = Path(tmp) / "attestation.sig"
        signature.write_text(str(data["signature"]).strip() + "\n", encoding="utf-8")
        done = subprocess.run(
            [
                tool,
                "-Y",
                "verify",
                "-f",
                str(signers),
                "-I",
                str(data["who"]),
                "-n",
                NAMESPACE,
                "-s",
                str(signature),
            ],
            input=canonical_text(data).encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
    if done.returncode != 0:
        said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return f"signature not valid for {data['who']}: {said[-1] if said else 'ssh-keygen refused it'}"
    return None


def judge(criteria: list[str], directory: Path = DIRECTORY) -> dict[str, Verdict]:
    """For each attestation criterion: attested by a valid, signed file, or not attested and why."""
    found: dict[str, list[Verdict]] = {cid: [] for cid in criteria}
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    for path in files:
        try:
            data = read_attestation(path)
        except (ValueError, yaml.YAMLError) as exc:
            for cid in criteria:
                found[cid].append(Verdict(cid, False, f"{path} cannot be read: {exc}", str(path)))
            continue
        named = [c for c in data.get("criteria") or [] if c in found]
        problem = _problem(data) or verify_signature(data, directory / SIGNERS)
        for cid in named:
            who = dict(who=data.get("who"), role=data.get("role"), date=data.get("date"))
            if problem:
                found[cid].append(Verdict(cid, False, f"{path}: {problem}", str(path), **who))
            else:
                reason = f"signed by {data['who']} ({data['role']}) on {data['date']}: {data['statement']}"
                found[cid].append(Verdict(cid, True, reason, str(path), **who))
    verdicts = {}
    for cid, seen in found.items():
        good = [v for v in seen if v.attested]
        if good:
            verdicts[cid] = good[0]
        elif seen:
            verdicts[cid] = seen[0]
        else:
            verdicts[cid] = Verdict(cid, False, f"no attestation file in {directory}/ names {cid}")
    return verdicts
