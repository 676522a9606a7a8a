"""Learner wording for the agent's reports: hosts and kinds of change, never operation names."""

from __future__ import annotations

from labs.wording import done_words, host_of, progress_words


def test_each_operation_summary_names_its_host():
    assert host_of("create namespace for host node0") == "node0"
    assert host_of("add veth c1:eth0 <-> host:veth1") == "c1"
    assert host_of("set hv1:br0 up nomaster") == "hv1"
    assert host_of("node1: add route 10.244.0.0/24 via 172.18.0.2") == "node1"
    assert host_of("write sandbox data cluster.json") is None


def test_progress_reads_as_building_a_host_and_how_many_so_far():
    assert progress_words(job="lab_start", what="node0: add address 10.0.0.1/24 on eth0", hosts_seen=3) \
        == "building node0… 3 hosts so far"
    assert progress_words(job="lab_step", what="create namespace for host m1", hosts_seen=1) == "changing m1… 1 host so far"
    assert progress_words(job="lab_start", what="start 2 servers", hosts_seen=4) == "starting the servers in the pods…"


def test_done_says_what_changed_by_kind_not_by_operation():
    report = {"operations": 107, "counts": {"AddAddress": 4, "CreateNamespace": 11, "AddRoute": 20, "WriteFile": 72},
              "seconds": 1.24}
    words = done_words("lab_start", {"step": 1, "report": report})
    assert words == "step 1 is ready: 11 hosts, 4 addresses, 20 routes built in 1.2 s"
    assert done_words("lab_step", {"step": 3, "report": {"operations": 2, "counts": {"SetSysctl": 2}, "seconds": 0.1}}) \
        == "now on step 3 (0.1 s)"
    assert done_words("lab_step", {"step": 2, "report": {"operations": 0}}) == "now on step 2: nothing needed changing"
