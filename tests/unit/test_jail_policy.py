"""The jail's plan (pure): a fresh root with the system read-only, the secrets masked, nothing else of the host."""

from __future__ import annotations

from pathlib import Path

from netcore.jail.policy import ETC_SECRETS, JailSpec, Limits, Mount, etc_overrides_of, plan_mounts


def fake_host(tmp_path: Path) -> Path:
    for name in ("usr/bin", "etc/ssh", "root", "work/checkout/var", "run/podpath", "var/lib"):
        (tmp_path / name).mkdir(parents=True)
    for name in ("bin", "sbin", "lib"):
        (tmp_path / name).symlink_to(f"usr/{name}")
    for name in ("etc/shadow", "etc/gshadow", "etc/resolv.conf", "etc/hosts"):
        (tmp_path / name).write_text("x")
    return tmp_path


def test_the_root_holds_the_system_read_only_and_nothing_else_of_the_host(tmp_path):
    mounts = plan_mounts(etc_overrides={}, host_root=str(fake_host(tmp_path)))
    binds = {m.target: m for m in mounts if m.kind == "bind" and not m.target.startswith("/dev/")}
    assert set(binds) == {"/usr", "/etc"}
    assert all(m.readonly for m in binds.values())
    assert {m.target: m.source for m in mounts if m.kind == "link" and not m.target.startswith("/dev/")} == {
        "/bin": "usr/bin",
        "/sbin": "usr/sbin",
        "/lib": "usr/lib",
    }
    targets = {m.target for m in mounts}
    for absent in ("/root", "/work", "/run", "/var", "/home"):
        assert absent not in targets


def test_secrets_under_etc_are_masked_and_the_sandbox_files_laid_over_etc(tmp_path):
    host = fake_host(tmp_path)
    netns_dir = tmp_path / "etc-netns"
    netns_dir.mkdir()
    (netns_dir / "resolv.conf").write_text("nameserver 10.96.0.10\n")
    mounts = plan_mounts(etc_overrides=etc_overrides_of(netns_dir), host_root=str(host))
    masked = {m.target for m in mounts if m.kind == "mask"}
    assert masked == {"/etc/shadow", "/etc/gshadow", "/etc/ssh"}
    assert Mount("bind", "/etc/resolv.conf", str(netns_dir / "resolv.conf")) in mounts
    # Overrides come after the masks and /etc itself, so they are laid on top.
    order = [m.target for m in mounts]
    assert order.index("/etc") < order.index("/etc/shadow") < order.index("/etc/resolv.conf")
    assert {"shadow", "gshadow", "ssh", "ssl/private", "sudoers"} <= set(ETC_SECRETS)


def test_tmp_is_a_size_capped_tmpfs_and_the_spec_travels_as_plain_data(tmp_path):
    limits = Limits(tmpfs_size=1234)
    mounts = plan_mounts(etc_overrides={}, host_root=str(fake_host(tmp_path)), limits=limits)
    assert Mount("tmpfs", "/tmp", "1234", readonly=False) in mounts
    spec = JailSpec(argv=("id",), uid=999, gid=995, netns_path="/run/netns/pp-x-c1", mounts=mounts, limits=limits)
    data = spec.to_json_dict()
    assert data["uid"] == 999 and data["limits"]["tmpfs_size"] == 1234 and data["argv"] == ("id",)


def test_no_overrides_without_a_directory(tmp_path):
    assert etc_overrides_of(None) == {}
    assert etc_overrides_of(tmp_path / "missing") == {}
