"""The Kernel contract, on FakeKernel."""

from __future__ import annotations

import pytest

from netcore.kernel.fake import FakeKernel
from tests.kernel_contract import KernelContract


class TestFakeKernel(KernelContract):
    @pytest.fixture
    def kernel(self):
        return FakeKernel()
