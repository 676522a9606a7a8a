"""The Kubernetes API of each cluster sandbox, for the stock kubectl: ``/k8s/<sandbox>/...``.

Every request becomes one agent job (``kube_read``, ``kube_write``, ``kube_exec``); the web tier only
authenticates (a bearer token per user and sandbox), negotiates formats, and streams watches.
"""
