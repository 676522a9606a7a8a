"""Names: the sandbox prefix is unambiguous and nothing can escape it."""

from __future__ import annotations

import pytest

from netcore import names
from netcore.errors import InvalidName


def test_namespace_names_carry_the_sandbox_prefix_and_split_back():
    assert names.netns_name("s1", "m1") == "pp-s1-m1"
    assert names.split_netns_name("pp-s1-web-1") == ("s1", "web-1")
    assert names.split_netns_name("pp-s1") is None
    assert names.split_netns_name("other-s1-m1") is None


@pytest.mark.parametrize("bad", ["", "S1", "s-1", "a/b", "..", "s1 ", "1s", "x" * 17, "s1;rm"])
def test_sandbox_names_that_could_escape_or_collide_are_refused(bad):
    with pytest.raises(InvalidName):
        names.check_sandbox_name(bad)


@pytest.mark.parametrize("bad", ["", "M1", "m1/..", "../x", "-m", "m-", "m--1", "a" * 33, "m 1"])
def test_host_names_that_could_escape_are_refused(bad):
    with pytest.raises(InvalidName):
        names.check_host_name(bad)


def test_no_sandbox_prefix_is_a_prefix_of_another():
    # "a" and "ab" are both valid; pp-a- never matches pp-ab-..., and dashes are not allowed in names.
    assert not names.netns_name("ab", "m1").startswith(names.sandbox_prefix("a"))


def test_interface_names_fit_the_kernel_limit():
    assert names.check_ifname("veth-c1-abcdefg") == "veth-c1-abcdefg"
    with pytest.raises(InvalidName):
        names.check_ifname("veth-c1-abcdefgh")


def test_mac_addresses_are_stable_and_locally_administered():
    mac = names.mac_address("m1", "eth0")
    assert mac == names.mac_address("m1", "eth0") != names.mac_address("m2", "eth0")
    first = int(mac.split(":")[0], 16)
    assert first & 0x02 and not first & 0x01
