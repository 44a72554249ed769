"""The notebooks' predict-then-run questions: answers checked against the engine, nothing given away."""

import re
from pathlib import Path

import pytest

from rpc_impersonation import Binding, Engine, evaluate, load_named
from rpc_impersonation.capabilities import run_capability
from rpc_impersonation.errors import ImpersonationError, InvalidValueError
from rpc_impersonation.quiz import FORMS, MISCONCEPTIONS, NEVER, question, question_keys, questions, rule_question
from rpc_impersonation.rules import RULES
from rpc_impersonation.scenarios import names as scenario_names

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks" / "source"
RULE_ID = re.compile(r"\b(?:R\d{1,2}|A\d{1,2}|M\d)\b")
ANON = "NT AUTHORITY\\ANONYMOUS LOGON"

# What the engine must answer, written out independently of the question builders.
EXPECTED = {
    "00.who-reaches-server-b": ANON,
    "01.before-impersonating": "ERROR_SUCCESS",
    "01.system-opens-secrets": "ERROR_ACCESS_DENIED",
    "01.idle-thread-impersonates": "RPC_S_NO_CALL_ACTIVE",
    "01.unchecked-result": "NT AUTHORITY\\SYSTEM",
    "01.forgot-to-revert": "CORP\\erin",
    "02.identify-opens-file": "impersonate",
    "02.impersonate-reaches-share": "no",
    "02.anonymous-over-tcp": "yes",
    "02.why-no-share": "Network use needs credentials (R18)",
    "03.identify-impersonates": "RPC_S_OK",
    "03.com-default-level": "Identify",
    "03.admin-raised": "ERROR_SUCCESS",
    "03.ntlm-wrong-spn": "RPC_S_OK",
    "03.static-tracking": "CORP\\svc_a",
    "04.server-a-does-not-impersonate": "CORP\\svc_a",
    "04.no-mutual-auth": "Delegation prerequisites (R19)",
    "04.ntlm-delegate": "RPC_S_SEC_PKG_ERROR",
    "04.sensitive-impersonate": "CORP\\carol",
    "04.unlisted-computer": ANON,
    "04.long-chain": ANON,
    "05.who-does-c-see": ANON,
    "05.rb-acts-as": "CORP\\userA",
    "05.why-lb-reaches-rb": "The ncalrpc exception (R27)",
    "05.delegate-to-c": "CORP\\userA",
    "05.same-machine-tcp": ANON,
    "06.symptom": "ERROR_ACCESS_DENIED",
    "06.which-hop": "hop 2: web (WEB1) to sql (SQL1)",
    "06.why-ntlm": "Negotiate picks a package (R22)",
    "06.other-backend": ANON,
    "07.no-cloaking": "CORP\\svc_mid",
    "07.one-revert": "CORP\\svc_mid",
    "07.static-after-revert": "CORP\\alice",
    "07.rbcd-not-listed": ANON,
    "07.dynamic-bound-early": "CORP\\alice",
    "07.negotiate-by-ip": "RPC_S_SEC_PKG_ERROR",
    "08.ncalrpc-rb": "CORP\\userA",
    "08.ncalrpc-c": ANON,
    "08.no-mutual-auth": "RPC_S_SEC_PKG_ERROR",
    "08.com-default-open": "ERROR_BAD_IMPERSONATION_LEVEL",
    "08.double-hop-web": "CORP\\bob",
    "08.unchecked": "NT AUTHORITY\\SYSTEM",
}


def test_every_question_is_listed_here():
    assert sorted(question_keys()) == sorted(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_answer_is_the_engines(key):
    assert question(key).answer == EXPECTED[key]


def test_who_acts_answers_agree_with_evaluating_the_chains():
    cases = {
        "00.who-reaches-server-b": ("seed-delegation", "impersonate-only", "server_b"),
        "05.who-does-c-see": ("seed-ncalrpc", "lb-impersonate", "C"),
        "05.rb-acts-as": ("seed-ncalrpc", "lb-impersonate", "RB"),
        "05.same-machine-tcp": ("seed-ncalrpc", "lb-over-local-tcp", "RB"),
        "07.no-cloaking": ("com-cloaking", "no-cloaking", "backend"),
        "08.unchecked": ("unchecked-impersonation", "unchecked", "service"),
    }
    for key, (scenario, chain, server) in cases.items():
        assert question(key).answer == (load_named(scenario).evaluate(chain).reached_as(server) or NEVER), key


def test_capability_and_call_answers_agree_with_the_engine():
    share = run_capability("reach another machine", level="impersonate", placement="remote")
    assert question("02.impersonate-reaches-share").answer == ("yes" if share.allowed else "no")
    levels = ["anonymous", "identify", "impersonate", "delegate"]
    least = next(
        lvl for lvl in levels if run_capability("open a local resource", level=lvl, placement="remote").allowed
    )
    assert question("02.identify-opens-file").answer == least
    call = (
        Engine(load_named("seed-delegation").world)
        .thread("client")
        .call("server_a", Binding.of(api="com", provider="kerberos"))
        .decision
    )
    assert question("03.com-default-level").answer == call.context.level.label


@pytest.mark.parametrize("q", questions(), ids=lambda q: q.key)
def test_every_option_is_explained_with_a_rule(q):
    assert q.form in FORMS
    assert q.misconception.key in MISCONCEPTIONS and q.misconception.rule in RULES
    assert len(q.choices) >= 2
    for choice in q.choices:
        text = q.explain(choice)
        assert RULE_ID.search(text), (q.key, choice, text)
    assert q.explain(q.answer).startswith("Right")
    assert any(r in q.explain(q.answer) for r in q.decision.rules), q.key


@pytest.mark.parametrize("q", questions(), ids=lambda q: q.key)
def test_wrong_options_do_not_give_the_answer_away(q):
    for choice in q.choices:
        if choice == q.answer:
            continue
        text = q.explain(choice)
        assert not text.startswith("Right"), (q.key, choice)
        if q.form != "multiple choice" or re.fullmatch(r"[A-Z_]+", q.answer) or q.key == "06.which-hop":
            assert q.answer not in text, (q.key, choice, text)
        else:  # yes/no and level answers: the wrong option names the belief, not the value
            assert "the engine says" not in text or q.key == "02.identify-opens-file", (q.key, text)


@pytest.mark.parametrize("q", questions(), ids=lambda q: q.key)
def test_prompts_name_no_scenario_or_chain(q):
    shown = q.text()
    for name in scenario_names():
        assert name not in shown, (q.key, name)
        for chain in (c.name for c in load_named(name).chains):
            if len(chain) > 4 and "-" in chain:  # single words such as 'ntlm' are part of the setup
                assert chain not in shown, (q.key, chain)
    assert "seed" not in shown.lower()
    prompt = shown.split("\n")[0]
    if q.form == "which rule decides" or re.fullmatch(r"[A-Z_]+", q.answer):  # a rule or a code: not in the prompt
        assert q.answer not in prompt, q.key


def test_text_lists_the_options_without_marking_the_answer():
    q = question("05.who-does-c-see")
    lines = q.text().splitlines()
    assert lines[0].startswith("Predict (who does it act as):")
    assert [line.split(") ", 1)[1] for line in lines[1:]] == list(q.choices)
    assert "answer" not in q.text().lower()
    assert "answer: " + q.answer in q.reveal() and q.misconception.belief in q.reveal()


def test_the_named_misconceptions_are_all_asked_about():
    asked = {q.misconception.key for q in questions()}
    for key in (
        "impersonate-reaches-network",
        "identify-can-open",
        "ncalrpc-every-hop",
        "ntlm-can-delegate",
        "sensitive-blocks-impersonation",
        "runtime-reverts",
        "same-machine-is-enough",
        "failure-leaves-no-rights",
    ):
        assert key in asked, key
    assert asked <= set(MISCONCEPTIONS)


@pytest.mark.parametrize("notebook", ["01", "02", "03", "04", "05", "06", "07"])
def test_notebooks_01_to_07_ask_at_least_two_checks_in_more_than_one_form(notebook):
    source = next(SOURCES.glob(f"{notebook}_*.nb")).read_text()
    used = re.findall(r'ask\("([^"]+)"\)', source)
    assert len(used) >= 2 and len(set(used)) == len(used)
    assert sorted(used) == sorted(q.key for q in questions(notebook)), "every question of the notebook is asked"
    assert len({question(k).form for k in used}) >= 2, notebook


def test_all_three_forms_are_used():
    assert {q.form for q in questions()} == set(FORMS)


def test_unknown_question_and_notebook_are_clear_errors():
    with pytest.raises(InvalidValueError) as err:
        question("02.no-such-question")
    assert "02.identify-opens-file" in str(err.value)
    with pytest.raises(ImpersonationError):
        questions("09")
    with pytest.raises(InvalidValueError):
        question("02.identify-opens-file").explain("maybe")


def test_a_rule_question_must_have_exactly_one_cited_rule():
    decision = load_named("seed-delegation").evaluate("no-mutual-auth").hops[0].call
    with pytest.raises(InvalidValueError):
        rule_question("x", "?", decision, ["R19", "R20"], "delegate-request-is-enough")  # both cited
    with pytest.raises(InvalidValueError):
        rule_question("x", "?", decision, ["R7", "R8"], "delegate-request-is-enough")  # none cited


def test_checks_start_unanswered_and_print_as_their_question():
    from rpc_impersonation.views import ask, ask_all

    check = ask("04.long-chain")
    assert check.quick.state == "unanswered"
    bundle = check._repr_mimebundle_()
    assert bundle["text/plain"] == question("04.long-chain").text()
    wrong = next(c for c in check.question.choices if c != check.question.answer)
    feedback = check.choose(wrong)
    assert check.quick.state == "wrong" and check.question.answer not in feedback
    assert "R23" in feedback  # the misconception's rule is named
    review = ask_all("08")
    assert len(review) == len(questions("08")) and all(c.quick.state == "unanswered" for c in review)
    assert "answer:" not in review._repr_mimebundle_()["text/plain"]
    assert review.answer_key().count("answer:") == len(review)


def test_a_builder_prediction_follows_the_builders_chain():
    from rpc_impersonation.views import ChainBuilder, predict_in_builder

    builder = ChainBuilder()
    check = predict_in_builder(builder, "server2", "one-delegate-carries-all")
    assert check.question.answer == builder.result.reached_as("server2")
    builder.set_hop(0, level="impersonate")
    assert predict_in_builder(builder, "server2", "one-delegate-carries-all").question.answer == evaluate(
        *_builder_world_chain(builder)
    ).reached_as("server2")


def _builder_world_chain(builder):
    from rpc_impersonation.views.widgets import build_chain

    return build_chain(builder.hops, {k: v.value for k, v in builder.delegation.items()}, builder.sensitive.value)
