"""The packet walk: send one real packet through a sandbox and tell its life hop by hop.

A walk sends one request (a TCP connection with a small HTTP GET, one UDP datagram, or one ICMP echo)
from a pod or a host and records, while it travels, what the kernel shows: a packet socket in every
namespace of the sandbox (each hop, its direction and a kernel timestamp), nftables trace events from
a temporary trace table in the namespaces that have rules (which chain and rule rewrote or dropped
it), and the conntrack entries the walk made, read again once the answer is in (the authoritative NAT
mapping). The pieces:

    model       the walk, its legs, hops, header layers, changes with reasons, verdict; JSON form (pure)
    packet      Ethernet / IPv4 / TCP / UDP / ICMP / VXLAN parsing (pure)
    layers      parsed headers -> the JSON layers (pure)
    nftrace     nftables trace netlink messages -> trace events, grouped by base chain (pure)
    ctparse     ctnetlink messages -> conntrack entries (pure)
    flow        which packets and trace events are the walk's request and reply (pure)
    reasons     chain names and rule comments -> who did it: Service, NetworkPolicy, rule (pure)
    changes     what changed from one hop to the next, and why (pure)
    stitch      recording -> legs: ordered hops with changes, and a verdict (pure)
    recording   everything observed during a walk, with its JSON form; facts about the sandbox (pure)
    facts       the kernel state and cluster objects -> names, roles, routes, Services (pure)
    fixture     a recording trimmed to its walk: a bug report, a unit test's fixture (pure)
    target      SRC and DST -> namespaces, addresses, ports (pure)
    dns         a pod's resolver: search list, query, answer (pure)
    render      one line per hop, changes in words (pure)
    pcap        the walk's packets as a pcap file (pure)
    observe     packet sockets, trace tables and netfilter sockets, conntrack and rule reads (kernel)
    send        the request itself, from inside the source namespace (kernel)
    run         the shell: resolve, observe, send, collect, stitch (kernel)

The JSON form is documented for users in docs/walk.md; the command is ``podpath trace``.
"""
