"""Write a walk's packets as a pcap file: one frame per hop, in walk order, with the kernel timestamps.

Pure. Classic pcap with nanosecond timestamps (magic 0xa1b23c4d), Ethernet link type: tshark and
Wireshark open it as it is. A frame is the bytes the packet socket kept (up to its snap length); the
record's original length is the frame's length on the wire, so a cut frame is marked as cut.
"""

from __future__ import annotations

import struct

from netcore.walk.model import Walk

MAGIC_NANOSECONDS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
FILE_HEADER = struct.Struct("<IHHiIII")
RECORD_HEADER = struct.Struct("<IIII")


def render_pcap(walk: Walk) -> bytes:
    """Return the pcap file of every hop of every leg (request hops, then reply hops)."""
    out = [FILE_HEADER.pack(MAGIC_NANOSECONDS, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)]
    for hop in walk.hops():
        if not hop.frame:
            continue
        seconds, nanoseconds = divmod(hop.time_ns, 1_000_000_000)
        out.append(RECORD_HEADER.pack(seconds, nanoseconds, len(hop.frame), max(hop.wire_length, len(hop.frame))))
        out.append(hop.frame)
    return b"".join(out)
