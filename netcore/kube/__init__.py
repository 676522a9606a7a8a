"""The API server surface of Podpath's Kubernetes subset: kinds, manifests, defaults, selectors, printers.

Pure code: objects are plain dicts shaped like Kubernetes JSON; nothing here touches the kernel,
Django or the network. The controllers and the datapath build on what these modules accept.
"""
