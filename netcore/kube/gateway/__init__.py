"""Gateway API (gateway.networking.k8s.io): GatewayClass, Gateway, HTTPRoute and ReferenceGrant.

The objects are validated like the API server validates them with the upstream CRDs (``schema``,
``checks``, ``defaults``), matched by a pure core (``match``: hostnames, paths, headers, query
parameters, methods and the spec's precedence), given the status the spec defines (``status``), and
served by one nginx per Gateway (``infra`` derives its pod and LoadBalancer Service;
``routes`` and ``nginx`` compile the attached routes into its configuration).
"""
