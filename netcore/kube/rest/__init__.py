"""The Kubernetes REST API over a sandbox's cluster, as the API server answers it (kubeapi serves it over HTTP).

Pure modules: ``status`` (errors as Status objects), ``table`` (server-side printing), ``patch`` (JSON,
merge and strategic merge patches), ``selectors`` (field selectors), ``discovery`` (what the API serves).
``server`` is the one module with side effects: it runs a request against the stored cluster, under the
sandbox's lock, through ``netcore.kube.api``.
"""
