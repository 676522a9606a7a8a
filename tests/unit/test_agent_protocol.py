"""The web side and the agent share one vocabulary: agent.protocol's job names are the agent's jobs."""

import pytest

from agent import protocol


def test_every_job_the_protocol_names_is_one_the_agent_runs_and_no_other():
    from agent.jobs import JOBS

    assert set(JOBS) == protocol.JOB_NAMES


def test_a_job_message_for_an_unknown_job_is_refused_before_it_is_sent():
    with pytest.raises(ValueError, match="unknown job 'lab_jump'"):
        protocol.job_message("lab_jump", "s1", {}, "j1")


def test_a_call_carries_its_reply_channel_and_a_fire_and_forget_job_does_not():
    sent = protocol.job_message(protocol.LAB_STEP, "s1", {"step": 2}, "j1")
    called = protocol.job_message(protocol.LAB_STEP, "s1", {"step": 2}, "j1", reply_channel="reply.x")
    assert sent == {"type": "agent.job", "job": "lab_step", "sandbox": "s1", "args": {"step": 2}, "job_id": "j1"}
    assert called["reply_channel"] == "reply.x"


def test_a_refused_document_names_its_field_in_the_failure():
    failed = protocol.failed_message("j1", "apply", "s1", "bad", {"source": "a.yaml", "field": "spec", "expected": "x"})
    assert failed["spec"]["field"] == "spec" and failed["type"] == protocol.FAILED_TYPE
    assert "spec" not in protocol.failed_message("j1", "apply", "s1", "bad")


def test_a_page_of_a_sandbox_nothing_builds_hears_which_one_is_missing():
    # Channels hands "sandbox.missing" to the consumers' sandbox_missing handler.
    assert protocol.missing_message("s1") == {"type": protocol.MISSING_TYPE, "sandbox": "s1"}
    assert protocol.MISSING_TYPE == "sandbox.missing"


def test_the_protocol_module_pulls_in_neither_netcore_nor_django():
    import subprocess
    import sys

    code = (
        "import sys, agent.protocol; print(sorted(m for m in sys.modules if m.split('.')[0] in ('netcore', 'django')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
