"""What `gc` would remove, read without removing: runtime directories of sandboxes that have no record,
never the directory of the lock files (its name looks like a sandbox's)."""

from __future__ import annotations

from netcore import names
from netcore.sandbox.lifecycle import find_garbage
from netcore.sandbox.registry import SandboxRecord, now_iso, write_record


def test_leftovers_are_what_no_record_owns_and_never_the_lock_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PODPATH_RUN_DIR", str(tmp_path))
    write_record(SandboxRecord(name="kept", created=now_iso(), hosts=(), meta={}))
    (tmp_path / "crashed").mkdir()
    names.lock_path("kept").parent.mkdir()
    garbage = find_garbage()
    assert garbage.runtime_dirs == ("crashed",)
    assert "crashed" in garbage.sandboxes and "locks" not in garbage.sandboxes and "kept" not in garbage.sandboxes
    assert garbage.of({"other"}).runtime_dirs == ()


def test_the_agents_leftovers_job_lists_them_by_sandbox_for_the_confirmation_page(tmp_path, monkeypatch):
    from agent.jobs import list_leftovers

    monkeypatch.setenv("PODPATH_RUN_DIR", str(tmp_path))
    write_record(SandboxRecord(name="kept", created=now_iso(), hosts=(), meta={}))
    (tmp_path / "crashed").mkdir()
    names.lock_path("kept").parent.mkdir()
    listed = list_leftovers(sandbox="gc", progress=lambda done, total, what: None)["leftovers"]
    mine = [item for item in listed if item["sandbox"] in ("crashed", "kept", "locks")]
    assert mine == [{"sandbox": "crashed", "items": ["runtime directory crashed"]}]
