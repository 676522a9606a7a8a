"""The jail's seccomp program, run by a small classic-BPF evaluator over made-up system calls."""

from __future__ import annotations

import struct

import pytest

from netcore.jail.launch import CLONE_NEWUSER, SECCOMP, seccomp_program

ALLOW, KILL, EPERM, ENOSYS = 0x7FFF0000, 0x80000000, 0x00050001, 0x00050026


def evaluate(program, nr: int, arch: int, flags: int = 0) -> int:
    data = struct.pack("<iIQ6Q", nr, arch, 0, flags, 0, 0, 0, 0, 0)
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:  # ld word at absolute offset
            accumulator = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif code in (0x15, 0x35, 0x45):  # jeq, jge, jset with a constant
            hit = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
            pc += 1 + (jt if hit else jf)
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")


@pytest.mark.parametrize("machine", sorted(SECCOMP))
def test_user_namespaces_and_the_usual_doors_are_closed_the_rest_open(machine):
    table = SECCOMP[machine]
    program = seccomp_program(table)
    arch = table["arch"]
    assert evaluate(program, table["unshare"], arch, CLONE_NEWUSER) == EPERM
    assert evaluate(program, table["clone"], arch, CLONE_NEWUSER | 0x11) == EPERM
    assert evaluate(program, table["unshare"], arch, 0x00020000) == ALLOW  # a mount namespace: the kernel decides
    assert evaluate(program, table["clone"], arch, 0x003D0F00) == ALLOW  # a thread
    assert evaluate(program, table["clone3"], arch) == ENOSYS
    for number in table["deny"]:
        assert evaluate(program, number, arch) == EPERM
    for harmless in (0, 1, 3, 59, 63):  # read, write, close, execve-ish numbers on either table
        if harmless not in table["deny"] and harmless not in (table["unshare"], table["clone"]):
            assert evaluate(program, harmless, arch) == ALLOW
    assert evaluate(program, 0, 0x40000003) == KILL  # another architecture's numbering


def test_the_x32_abi_is_refused_on_x86_64():
    table = SECCOMP["x86_64"]
    assert evaluate(seccomp_program(table), 0x40000000 + 1, table["arch"]) == EPERM
