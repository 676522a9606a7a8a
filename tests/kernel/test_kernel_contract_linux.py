"""The Kernel contract, on the real kernel (namespaces, veths, nftables, the workload runner)."""

from __future__ import annotations

import shutil

import pytest

from netcore import names
from netcore.kernel.linux import LinuxKernel
from netcore.sandbox.registry import SandboxRecord, now_iso, write_record
from tests.kernel_contract import KernelContract


class TestLinuxKernel(KernelContract):
    @pytest.fixture
    def kernel(self, sandbox_name):
        # The workload runner lives exactly as long as the sandbox record does.
        write_record(SandboxRecord(name=sandbox_name, created=now_iso()))
        kernel = LinuxKernel(sandbox_name)
        try:
            yield kernel
        finally:
            kernel.destroy()
            shutil.rmtree(names.sandbox_dir(sandbox_name))
