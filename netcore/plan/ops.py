"""Operations: the plain-data steps a plan is made of. Only the kernel adapter turns them into syscalls.

Names are host-level; the adapter adds the sandbox prefix. Each operation can say what it does in one
line (``summary``), which is what errors and progress displays show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from netcore.topology.model import Endpoint, Server, Vxlan


@dataclass(frozen=True)
class CreateNamespace:
    host: str

    def summary(self) -> str:
        return f"create namespace for host {self.host}"


@dataclass(frozen=True)
class DeleteNamespace:
    host: str

    def summary(self) -> str:
        return f"delete namespace of host {self.host}"


@dataclass(frozen=True)
class SetSysctl:
    host: str
    key: str
    value: str

    def summary(self) -> str:
        return f"{self.host}: sysctl {self.key}={self.value}"


@dataclass(frozen=True)
class CreateLink:
    """Create a device; for a veth also its peer, directly inside the peer's namespace."""

    host: str
    name: str
    kind: str
    mac: str | None = None
    mtu: int | None = None
    peer: Endpoint | None = None
    peer_mac: str | None = None
    peer_mtu: int | None = None
    vxlan: Vxlan | None = None

    def veth_peer(self) -> Endpoint:
        """The other end of a veth: the plan gives every veth one."""
        if self.peer is None:
            raise ValueError(f"veth {self.host}:{self.name} has no peer")
        return self.peer

    def tunnel(self) -> Vxlan:
        """The tunnel settings of a VXLAN device: the plan gives every one them."""
        if self.vxlan is None:
            raise ValueError(f"vxlan {self.host}:{self.name} has no tunnel settings")
        return self.vxlan

    def summary(self) -> str:
        if self.kind == "veth":
            return f"add veth {self.host}:{self.name} <-> {self.peer}"
        return f"add {self.kind} {self.host}:{self.name}"


@dataclass(frozen=True)
class DeleteLink:
    host: str
    name: str

    def summary(self) -> str:
        return f"delete link {self.host}:{self.name}"


@dataclass(frozen=True)
class SetLink:
    """Set a device up or down and attach it to a bridge (``master``) or detach it (None)."""

    host: str
    name: str
    up: bool
    master: str | None
    hairpin: bool = False

    def summary(self) -> str:
        master = f" master {self.master}" if self.master else " nomaster"
        return f"set {self.host}:{self.name} {'up' if self.up else 'down'}{master}{' hairpin' if self.hairpin else ''}"


@dataclass(frozen=True)
class AddAddress:
    host: str
    ifname: str
    cidr: str

    def summary(self) -> str:
        return f"{self.host}: add address {self.cidr} on {self.ifname}"


@dataclass(frozen=True)
class DeleteAddress:
    host: str
    ifname: str
    cidr: str

    def summary(self) -> str:
        return f"{self.host}: delete address {self.cidr} from {self.ifname}"


@dataclass(frozen=True)
class AddRoute:
    host: str
    dst: str
    dev: str
    via: str | None = None
    metric: int = 0
    onlink: bool = False

    def summary(self) -> str:
        return f"{self.host}: add route {route_text(self)}"


@dataclass(frozen=True)
class DeleteRoute:
    host: str
    dst: str
    dev: str
    via: str | None = None
    metric: int = 0
    onlink: bool = False

    def summary(self) -> str:
        return f"{self.host}: delete route {route_text(self)}"


def route_text(route: AddRoute | DeleteRoute) -> str:
    via = f" via {route.via}" if route.via else ""
    return f"{route.dst}{via} dev {route.dev}{' onlink' if route.onlink else ''}"


@dataclass(frozen=True)
class FlushNeighbours:
    """Forget learnt link-layer addresses: after a step moves an address to another device (another
    MAC), a neighbour still holding the old MAC would otherwise keep failing for up to a minute."""

    host: str

    def summary(self) -> str:
        return f"{self.host}: flush the neighbour (ARP) table"


@dataclass(frozen=True)
class LoadRuleset:
    """Replace the host's nftables table in one transaction."""

    host: str
    digest: str
    text: str = field(compare=False, repr=False)

    def summary(self) -> str:
        return f"{self.host}: load nftables table ({self.digest})"


@dataclass(frozen=True)
class DeleteRuleset:
    host: str

    def summary(self) -> str:
        return f"{self.host}: delete nftables table"


@dataclass(frozen=True)
class WriteFile:
    """Write one of the files `ip netns exec` mounts over /etc (resolv.conf, hosts)."""

    host: str
    name: str
    content: str = field(repr=False)

    def summary(self) -> str:
        return f"{self.host}: write /etc/{self.name}"


@dataclass(frozen=True)
class DeleteFile:
    host: str
    name: str

    def summary(self) -> str:
        return f"{self.host}: delete /etc/{self.name}"


@dataclass(frozen=True)
class WriteData:
    """Write a sandbox-wide file that workloads read (the cluster DNS records, say)."""

    name: str
    content: str = field(repr=False)
    host: str = ""  # sandbox-wide: no host

    def summary(self) -> str:
        return f"write sandbox data {self.name}"


@dataclass(frozen=True)
class DeleteData:
    name: str
    host: str = ""

    def summary(self) -> str:
        return f"delete sandbox data {self.name}"


@dataclass(frozen=True)
class StartServer:
    server: Server

    @property
    def host(self) -> str:
        return self.server.host

    def summary(self) -> str:
        return f"start {self.server.summary()}"


@dataclass(frozen=True)
class StopServer:
    server: Server

    @property
    def host(self) -> str:
        return self.server.host

    def summary(self) -> str:
        return f"stop {self.server.summary()}"


Operation = (
    CreateNamespace
    | DeleteNamespace
    | SetSysctl
    | CreateLink
    | DeleteLink
    | SetLink
    | AddAddress
    | DeleteAddress
    | AddRoute
    | DeleteRoute
    | FlushNeighbours
    | LoadRuleset
    | DeleteRuleset
    | WriteFile
    | DeleteFile
    | WriteData
    | DeleteData
    | StartServer
    | StopServer
)


@dataclass(frozen=True)
class Plan:
    """Operations in the order they must run."""

    ops: tuple[Operation, ...] = ()

    def __len__(self) -> int:
        return len(self.ops)

    def __bool__(self) -> bool:
        return bool(self.ops)

    def counts(self) -> dict[str, int]:
        """Return how many operations of each type the plan holds."""
        return dict(sorted(Counter(type(op).__name__ for op in self.ops).items()))

    def summaries(self) -> list[str]:
        return [op.summary() for op in self.ops]
