"""The `podpath` command line without a kernel: lab listings, help, the current sandbox, completion."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def run_command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_lab_show_lists_a_cluster_labs_objects_per_step():
    shown = run_command("lab", "show", "kubernetes")
    step = shown[shown.index("\n6. "):]
    step = step[:step.index("\n7. ")]
    assert "cluster: 2 nodes, pod network vxlan" in step
    assert "objects: pod/hello-world, pod/client, service/hello-world-service" in step
    assert "try on client: curl -s -m 2 http://{{svc:hello-world-service}}/  (should fail)" in step


def test_lab_show_works_for_every_lab():
    from labs.selectors import lab_list

    for lab in lab_list():
        shown = run_command("lab", "show", lab.id)
        assert f"\n{len(lab.steps)}. " in shown
        assert max(len(line) for line in shown.splitlines()[2:] if not line.startswith("   try")) <= 100
