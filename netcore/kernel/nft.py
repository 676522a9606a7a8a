"""nftables inside a sandbox namespace: load a table in one transaction, read back which one is loaded.

Loading runs the same script ``nft -f`` would, through libnftables (the library the ``nft`` command is
a shell around), called in-process by a thread that has entered the namespace: the kernel applies the
whole script atomically or not at all, and no process is forked. Closing the library's netlink socket
costs the kernel 4 to 13 ms after a transaction, so contexts are released on a background thread,
off the path of the change. The packet walk's own trace tables are added and removed here too (this
module is the only writer of nftables); ``run_in`` also serves reads (rule listings with handles).

Reading is one netfilter netlink dump of the namespace's tables, whose comment carries the digest of
the rendered ruleset.
"""

from __future__ import annotations

import ctypes
import queue
import threading

from pyroute2.netlink.nfnetlink.nftsocket import nft_table_msg

from netcore.errors import PodpathError
from netcore.kernel import netlink, netns
from netcore.render.nftables import (
    COMMENT_PREFIX,
    TABLE_FAMILY,
    TABLE_NAME,
    TRACE_TABLE_PREFIX,
    render_trace_table,
    transaction,
)

NFPROTO_INET = 1
NFT_MSG_GETTABLE = (10 << 8) | 1  # NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE


class NftError(PodpathError):
    """nftables refused a command (the message is nft's own)."""


def _library():
    try:
        lib = ctypes.CDLL("libnftables.so.1")
    except OSError:
        return None
    lib.nft_ctx_new.restype = ctypes.c_void_p
    lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
    lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    return lib


_lib = _library()
_to_free: queue.Queue = queue.Queue()


def _free_contexts() -> None:
    while True:
        _lib.nft_ctx_free(_to_free.get())


if _lib is not None:
    threading.Thread(target=_free_contexts, name="nft-context-free", daemon=True).start()


def load(fd: int, table_text: str | None) -> None:
    """Replace (or with None, remove) Podpath's table inside the namespace ``fd`` refers to, in one
    transaction."""
    run_in(fd, transaction(table_text))


def add_trace_table(fd: int, name: str, protocols: set[str]) -> None:
    """Load a packet walk's own table (``inet podpath-trace-<id>``), which marks its packets for tracing."""
    run_in(fd, render_trace_table(name, protocols))


def delete_trace_table(fd: int, name: str) -> None:
    """Remove a packet walk's table; one that is already gone (its namespace too, maybe) is no error."""
    if not name.startswith(TRACE_TABLE_PREFIX):
        raise ValueError(f"not a trace table: {name!r}")  # never Podpath's own table, never another's
    try:
        run_in(fd, f"delete table {TABLE_FAMILY} {name}")
    except NftError as error:
        if "No such file" not in str(error):
            raise


# libnftables output flags (enum nft_output_flags)
OUTPUT_STATELESS, OUTPUT_HANDLE, OUTPUT_TERSE = 1 << 2, 1 << 3, 1 << 11


def run_in(fd: int, script: str, output_flags: int = 0) -> str:
    """Run an nft script in-process inside the namespace ``fd`` refers to; return what nft printed."""
    if _lib is None:
        raise NftError("libnftables is not installed (apt-get install libnftables1)")
    with netns.entered(fd):
        context = _lib.nft_ctx_new(0)  # its netlink socket is born in this namespace
    try:
        _lib.nft_ctx_buffer_error(context)
        _lib.nft_ctx_buffer_output(context)
        if output_flags:
            _lib.nft_ctx_output_set_flags(context, output_flags)
        if _lib.nft_run_cmd_from_buffer(context, script.encode()) != 0:
            message = (_lib.nft_ctx_get_error_buffer(context) or b"").decode(errors="replace").strip()
            raise NftError(message or "nft refused the ruleset")
        return (_lib.nft_ctx_get_output_buffer(context) or b"").decode(errors="replace")
    finally:
        _to_free.put(context)


def loaded_digest(channel: netlink.Channel) -> str | None:
    """Return the digest of Podpath's table in the channel's namespace, or None if there is none."""
    request = nft_table_msg()
    request["nfgen_family"] = 0
    for table in channel.dump(request, NFT_MSG_GETTABLE, nft_table_msg):
        if table["nfgen_family"] == NFPROTO_INET and table.get_attr("NFTA_TABLE_NAME") == TABLE_NAME:
            comment = table.get_attr("NFTA_TABLE_USERDATA") or ""
            return comment[len(COMMENT_PREFIX) :] if comment.startswith(COMMENT_PREFIX) else "unknown"
    return None
