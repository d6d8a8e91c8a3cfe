"""
Parliament (duo-labs/parliament) over many policy documents in one process.

Reads {"<name>": "<policy JSON>"} on stdin; prints one JSON finding per line:
{"file", "issue", "severity", "detail", "location"}. A document Parliament crashes on is
reported as issue PARLIAMENT_CRASH (never hidden), and the others are still analysed.
Findings below LOW and those parliament's own config mutes are filtered as its CLI does.
"""
import json
import sys
import traceback

from parliament import analyze_policy_string, enhance_finding
from parliament.cli import is_finding_filtered


def main():
    documents = json.load(sys.stdin)
    for name, text in documents.items():
        try:
            policy = analyze_policy_string(text, name)
            findings = [enhance_finding(f) for f in policy.findings]
        except Exception as e:  # noqa: BLE001 - a crash is itself a finding
            print(json.dumps({"file": name, "issue": "PARLIAMENT_CRASH", "severity": "HIGH",
                              "detail": f"{type(e).__name__}: {e}".splitlines()[0], "location": {}}))
            continue
        for f in findings:
            if is_finding_filtered(f, "LOW"):
                continue
            print(json.dumps({"file": name, "issue": f.issue, "severity": f.severity,
                              "detail": f.detail, "location": f.location}, default=str))


if __name__ == "__main__":
    main()
