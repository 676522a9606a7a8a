"""Learner wording for the agent's reports: hosts and kinds of change, never operation names."""

from __future__ import annotations

from labs.wording import done_words, host_of, hosts_created, progress_words


def test_each_operation_summary_names_its_host():
    assert host_of("create namespace for host node0") == "node0"
    assert host_of("add veth c1:eth0 <-> host:veth1") == "c1"
    assert host_of("set hv1:br0 up nomaster") == "hv1"
    assert host_of("node1: add route 10.244.0.0/24 via 172.18.0.2") == "node1"
    assert host_of("write sandbox data cluster.json") is None


def test_progress_reads_as_building_a_host_how_many_and_how_far():
    assert (
        progress_words(job="lab_start", what="node0: add address 10.0.0.1/24 on eth0", done=45, total=107, hosts=11)
        == "building node0… 11 hosts, 42% done"
    )
    assert (
        progress_words(job="lab_step", what="set m1:eth0 up nomaster", done=1, total=4, hosts=None)
        == "changing m1… 25% done"
    )
    assert (
        progress_words(job="lab_start", what="start 2 servers", done=9, total=10, hosts=3)
        == "starting the servers in the pods… 3 hosts, 90% done"
    )
    assert hosts_created("create namespace for host tor", 10) == 10 and hosts_created("tor: sysctl a=1", 9) is None


def test_done_says_what_changed_by_kind_not_by_operation():
    report = {
        "operations": 107,
        "counts": {"AddAddress": 4, "CreateNamespace": 11, "AddRoute": 20, "WriteFile": 72},
        "seconds": 1.24,
    }
    words = done_words("lab_start", {"step": 1, "report": report})
    assert words == "step 1 is ready: 11 hosts, 4 addresses, 20 routes built in 1.2 s"
    report = {"operations": 2, "counts": {"SetSysctl": 2}, "seconds": 0.1}
    assert done_words("lab_step", {"step": 3, "report": report}) == "now on step 3 (0.1 s)"
    assert done_words("lab_step", {"step": 2, "report": {"operations": 0}}) == "now on step 2: nothing needed changing"
