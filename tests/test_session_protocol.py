"""The grader's side of the student process, against a scripted sandbox: deterministic checks of the
order of requests and replies (session.py), without starting any process."""

from collections import deque

import pytest

from rpc_impersonation.grading.session import Budget, Exercise, Run, Session, question_key
from rpc_impersonation.grading.spec import StudentError


class ScriptedBox:
    """A sandbox whose student process answers ``call`` requests with ``answer(name, args)``; a reply of
    ``"END"`` stands for the process ending (the zygote's ``ended``). Records what the grader did."""

    def __init__(self, answer):
        self.answer, self.log, self.queue = answer, [], deque()
        self.alive, self.closed = True, False

    def start(self, student, timeout):
        self.log.append("start")
        self.queue.clear()
        return {"op": "ready", "output": ""}

    def _reply(self, message):
        if message["op"] == "import":
            return {"op": "ok", "value": None, "output": ""}
        value = self.answer(message["name"], message["args"])
        if value == "END":
            return {"op": "ended", "status": 3}
        return {"op": "ok", "value": value, "output": f"{message['name']}{message['args']}\n"}

    def request(self, message, timeout, callback=None):
        self.log.append(("request", message["op"], message.get("name")))
        assert not self.queue, "a request sent while batched replies were still unread"
        return self._reply(message)

    def send_batch(self, requests, timeout):
        self.log.append(("batch", [m["name"] for m in requests]))
        self.queue.extend(self._reply(m) for m in requests)

    def reply(self, timeout):
        return self.queue.popleft()

    def stop(self, timeout=5.0):
        self.log.append("stop")
        self.queue.clear()


def calls(*names):
    return {question_key("call", n, []): {"op": "call", "module": "m", "name": n, "args": []} for n in names}


def session(box):
    s = Session(box, "s1", Budget(per_call=1.0, per_exercise=10.0, import_time=1.0))
    s.begin(Exercise("m", 10.0))
    return s


def test_batched_replies_are_read_in_order_and_kept_for_the_test_that_asks():
    box = ScriptedBox(lambda name, args: name.upper())
    s = session(box)
    s.prefetch(calls("a", "b", "c"))
    run = Run(s)
    assert run("c") == "C"  # read a and b on the way, kept
    assert run("a") == "A" and run("b") == "B"
    assert [e for e in box.log if e != "start"] == [("request", "import", None), ("batch", ["a", "b", "c"])]
    assert s.exercise.output == "c[]\na[]\nb[]\n"  # each reply's output once, in the order the tests asked


def test_a_question_asked_again_in_a_part_is_answered_once():
    asked = []
    s = session(ScriptedBox(lambda name, args: asked.append(name) or len(asked)))
    run = Run(s)
    assert run("a") == run("a") == 1 and asked == ["a"]


def test_a_request_not_in_the_batch_waits_until_the_batch_is_read():
    box = ScriptedBox(lambda name, args: name)
    s = session(box)
    s.prefetch(calls("a", "b"))
    assert Run(s)("z") == "z"  # ScriptedBox.request asserts nothing of the batch was left unread
    assert Run(s)("b") == "b"


def test_an_earlier_batched_call_ending_the_process_leaves_the_later_ones_to_a_fresh_process():
    box = ScriptedBox(lambda name, args: "END" if name == "a" else name)
    s = session(box)
    s.prefetch(calls("a", "b"))
    run = Run(s)
    assert run("b") == "b"  # a's reply was the process ending: b is asked again, in a new process
    assert box.log.count("start") == 2
    with pytest.raises(StudentError, match="exit code 3"):
        run("a")  # a's own test meets the crash itself


def test_replies_nobody_asked_for_go_with_the_process_at_the_end_of_the_part():
    box = ScriptedBox(lambda name, args: name)
    s = session(box)
    s.prefetch(calls("a", "b"))
    assert Run(s)("a") == "a"
    s.end()  # b was never asked (its test stopped early)
    assert box.log[-1] == "stop" and not s.pending and not s.answered
    s.begin(Exercise("n", 10.0))
    assert Run(s)("x") == "x"  # the next exercise: a fresh process, nothing of b in its way
    assert box.log.count("start") == 2


def test_an_exercise_over_its_budget_asks_nothing():
    box = ScriptedBox(lambda name, args: name)
    s = Session(box, "s1", Budget(per_call=1.0, per_exercise=10.0, import_time=1.0))
    s.begin(Exercise("m", 0.0))
    with pytest.raises(StudentError, match="time limit for this exercise is used up"):
        Run(s)("a")
    assert box.log == []
