"""Generate the "Feedback on typical wrong answers" section of docs/grading.md from the masters.

For each exercise, three wrong answers drawn from the misconceptions its cases name (visible cases
first) are fed to the exercise's own tests, and the self-check's text for each is printed exactly as a
learner sees it. ``tests/test_exercises.py`` fails when the doc differs from this output.

    python scripts/feedback_examples.py            # print the section
    python scripts/feedback_examples.py --write    # replace it in docs/grading.md
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "<!-- BEGIN GENERATED: feedback examples -->", "<!-- END GENERATED: feedback examples -->"


def _answer_with(data: dict, value):
    """What the student's function returns when it gives ``value`` for this case (other fields left as None)."""
    field = data.get("field")
    if field is None:
        return value
    if isinstance(field, int):
        out = [None] * (field + 1)
        out[field] = value
        return out
    return {field: value}


#: Wrong answers of the exercises whose cases have no list of wrong values: (case name, what run returns)
_SPECIAL = {
    "ex2": [("unauthenticated client: returns the right code",
             {"returned": "ERROR_SUCCESS", "trace": [["impersonate", "0"], ["open", "report.txt", "read"]]}),
            ("unauthenticated client: never works as SYSTEM for the caller",
             {"returned": "ERROR_SUCCESS", "trace": [["impersonate", "0"], ["open", "report.txt", "read"]]}),
            ("well-behaved client: reverts before returning",
             {"returned": "ERROR_SUCCESS", "trace": [["impersonate", "0"], ["open", "report.txt", "read"]]})],
    "ex5": [("DB1 reads sales as Alice", {"svc_front": {"trusted_for_delegation": False, "delegate_to": ["DB1"]},
                                          "client_binding": {"provider": "ntlm", "level": "delegate",
                                                             "mutual_auth": True},
                                          "backend_binding": {"provider": "kerberos", "level": "impersonate",
                                                              "mutual_auth": True}}),
            ("DB1 reads sales as Alice", {"svc_front": {"trusted_for_delegation": False, "delegate_to": ["DB1"]},
                                          "client_binding": {"provider": "kerberos", "level": "impersonate",
                                                             "mutual_auth": True},
                                          "backend_binding": {"provider": "kerberos", "level": "impersonate",
                                                              "mutual_auth": True}}),
            ("DB2 never sees Alice", {"svc_front": {"trusted_for_delegation": True, "delegate_to": []},
                                      "client_binding": {"provider": "kerberos", "level": "delegate",
                                                         "mutual_auth": True},
                                      "backend_binding": {"provider": "kerberos", "level": "impersonate",
                                                          "mutual_auth": True}})],
    "ex10": [("order('serve a file as the caller')",
              ["impersonate the caller", "open the file", "check the result", "revert to self", "return"]),
             ("order('serve a file as the caller')",
              ["impersonate the caller", "check the result", "revert to self", "open the file", "return"]),
             ("order('serve a file as the caller')",
              ["impersonate the caller", "check the result", "open the file", "return", "revert to self"])],
    "ex11": [("smallest_change('seed-ncalrpc/lb-impersonate')", {"hop": 3, "field": "level", "value": "delegate"}),
             ("smallest_change('seed-ncalrpc/lb-impersonate')", {"hop": 2, "field": "provider", "value": "ntlm"}),
             ("smallest_change('seed-delegation/no-mutual-auth')", {"hop": 1, "field": "level",
                                                                    "value": "impersonate"})],
}


def _examples(master):
    """Three (case, returned value) pairs with three different misconceptions where the cases allow."""
    cases = {t.name: t for t in master.tests(hidden=False)}
    if master.id in _SPECIAL:
        return [(cases[name], value) for name, value in _SPECIAL[master.id]]
    out, seen = [], set()
    ordered = master.tests(hidden=False) + [t for t in master.tests(hidden=True) if t.hidden]
    for t in ordered:
        for value, key in t.data.get("wrong", []):
            if key not in seen and len(out) < 3:
                seen.add(key)
                out.append((t, _answer_with(t.data, value)))
    for t in ordered:   # fewer than three misconceptions: fill with other wrong values of visible cases
        for value, key in t.data.get("wrong", []):
            if len(out) < 3 and all(t is not c or value != v for c, v in out):
                out.append((t, _answer_with(t.data, value)))
    return out


def render(root: Path) -> str:
    sys.path.insert(0, str(root / "src"))
    from rpc_impersonation.grading.masters import load_masters
    from rpc_impersonation.grading.report import text_report
    from rpc_impersonation.grading.runner import ExerciseResult, TestResult
    from rpc_impersonation.grading.spec import outcome

    lines = [BEGIN, "", "Generated by `scripts/feedback_examples.py` from the masters (do not edit by hand). Each",
             "wrong answer is a typical one for the exercise, drawn from the misconceptions its cases name; the",
             "block shows what `check` prints for it. Hidden tests give the same text without the values",
             "(the instructor's disclosure setting, `DISCLOSE_HIDDEN`, default `concept`).", ""]
    for m in load_masters(root / "solutions"):
        lines += [f"### {m.id} {m.title}", ""]
        for n, (case, value) in enumerate(_examples(m), start=1):
            def run(function, *args, _v=value):
                return _v
            run.drive = run
            o = outcome(case, run)
            result = ExerciseResult(m.id, m.title, [TestResult(
                case.name, 0, case.points, o.status, o.message, False, misconception=o.misconception, rule=o.rule,
                section=o.section)])
            shown = "\n".join(text_report([result], visible_only=True).splitlines()[1:])
            lines += [f"{n}. `{case.data['call']}` returns `{value!r}`"
                      + (f" (misconception: {o.misconception})" if o.misconception else ""), "",
                      "   ```text", *("   " + x for x in shown.splitlines()), "   ```", ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    text = render(root)
    if "--write" not in argv:
        print(text, end="")
        return 0
    doc = root / "docs" / "grading.md"
    current = doc.read_text(encoding="utf-8")
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n## Feedback on typical wrong answers\n\n" + text
    doc.write_text(current, encoding="utf-8")
    print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
