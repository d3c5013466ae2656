"""The exporters' rules are tested the way their files say: for each
examples/<name>/rules.yml given, rules_test.yml beside it loads it, every
alert has a promtool case where it fires and one where it stays quiet, every
recording rule's value is checked by a promql_expr_test, and every alert has
a severity, a summary and a description. A dashboard.json is beside each.
promtool itself then runs the tests (make check-rules)."""

import os
import re
import sys

import yaml

failures = []


def fail(msg):
    failures.append(msg)
    print("check-rules: " + msg, file=sys.stderr)


def check(rules_path):
    where = os.path.dirname(rules_path)
    with open(rules_path) as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    test_path = os.path.join(where, "rules_test.yml")
    if not os.path.exists(test_path):
        fail("%s: no rules_test.yml beside it" % rules_path)
        return
    if not os.path.exists(os.path.join(where, "dashboard.json")):
        fail("%s: no dashboard.json beside it" % rules_path)
    with open(test_path) as f:
        tests = yaml.safe_load(f)
    if "rules.yml" not in tests.get("rule_files", []):
        fail("%s: rule_files does not load rules.yml" % test_path)
    cases = [c for t in tests.get("tests", []) for c in t.get("alert_rule_test", [])]
    exprs = [c["expr"] for t in tests.get("tests", []) for c in t.get("promql_expr_test", [])]
    for r in rules:
        if "alert" in r:
            name = r["alert"]
            mine = [c for c in cases if c["alertname"] == name]
            if not any(c.get("exp_alerts") for c in mine):
                fail("%s: alert %s never fires in a test" % (test_path, name))
            if not any(not c.get("exp_alerts") for c in mine):
                fail("%s: alert %s is never tested quiet" % (test_path, name))
            if not r.get("labels", {}).get("severity"):
                fail("%s: alert %s has no severity" % (rules_path, name))
            if not {"summary", "description"} <= set(r.get("annotations", {})):
                fail("%s: alert %s needs a summary and a description" % (rules_path, name))
        else:
            name = r["record"]
            pattern = re.compile(r"(^|[^\w:])%s($|[^\w:])" % re.escape(name))
            if not any(pattern.search(e) for e in exprs):
                fail("%s: recording rule %s has no promql_expr_test" % (test_path, name))
    known = {r.get("alert") for r in rules}
    for c in cases:
        if c["alertname"] not in known:
            fail("%s: tests alert %s that rules.yml does not have" % (test_path, c["alertname"]))


if len(sys.argv) < 2:
    sys.exit("usage: check_rule_tests.py examples/<name>/rules.yml...")
for path in sys.argv[1:]:
    check(path)
if failures:
    sys.exit(1)
print("check-rules: %d rule files, every alert firing and quiet, every recording rule tested"
      % (len(sys.argv) - 1))
