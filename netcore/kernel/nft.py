"""nftables inside a sandbox namespace: load a table in one transaction, read back which one is loaded.

Loading goes through ``nft -f`` (the kernel applies the whole script atomically or not at all);
reading is one netfilter netlink dump of the namespace's tables, whose comment carries the digest of
the rendered ruleset.
"""

from __future__ import annotations

import subprocess

from pyroute2.netlink.nfnetlink.nftsocket import nft_table_msg

from netcore.kernel import netlink
from netcore.render.nftables import COMMENT_PREFIX, TABLE_NAME, transaction

NFPROTO_INET = 1
NFT_MSG_GETTABLE = (10 << 8) | 1  # NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE


class NftError(Exception):
    pass


def load(namespace: str, table_text: str | None) -> None:
    """Replace (or with None, remove) Podpath's table inside ``namespace`` in one transaction."""
    run(namespace, ["-f", "-"], transaction(table_text))


def run(namespace: str, args: list[str], stdin: str | None = None) -> str:
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", *args],
        input=stdin, capture_output=True, text=True, timeout=30,
    )
    if result.returncode != 0:
        raise NftError(result.stderr.strip() or f"nft exited with {result.returncode}")
    return result.stdout


def loaded_digest(channel: netlink.Channel) -> str | None:
    """Return the digest of Podpath's table in the channel's namespace, or None if there is none."""
    request = nft_table_msg()
    request["nfgen_family"] = 0
    for table in channel.dump(request, NFT_MSG_GETTABLE, nft_table_msg):
        if table["nfgen_family"] == NFPROTO_INET and table.get_attr("NFTA_TABLE_NAME") == TABLE_NAME:
            comment = table.get_attr("NFTA_TABLE_USERDATA") or ""
            return comment[len(COMMENT_PREFIX):] if comment.startswith(COMMENT_PREFIX) else "unknown"
    return None
