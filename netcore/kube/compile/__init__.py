"""Compile a cluster's objects into what netcore builds: the topology, each node's Service chains,
and the cluster DNS records."""
