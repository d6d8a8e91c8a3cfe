"""Matches events against EventBridge event patterns with moto's matcher.

The test oracle for lib/detections/: the matching is moto's own
(moto.events.models.EventPattern, the code behind moto's PutEvents and
TestEventPattern), not ours. This script only feeds it.

stdin:  {"cases": [{"pattern": {...}, "event": {...}}, ...]}
stdout: [true, false, ...]   one boolean per case, in order

A pattern that moto's parser rejects fails the whole run (exit 2) with the
case index and moto's reason, so a malformed pattern never reads as "no match".
"""
import json
import sys

from moto.events.models import EventPattern


def main() -> int:
    request = json.load(sys.stdin)
    results = []
    for index, case in enumerate(request["cases"]):
        try:
            pattern = EventPattern.load(json.dumps(case["pattern"]))
        except Exception as error:  # moto raises InvalidEventPatternException
            print(f"case {index}: pattern rejected by moto: {error}", file=sys.stderr)
            return 2
        results.append(bool(pattern.matches_event(case["event"])))
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
