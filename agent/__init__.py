"""The agent: sandbox work (build, step, reset, manifests, walks, checks, observers) reached over the
channel layer. Not a Django app: ``protocol`` is the vocabulary both sides share, ``client`` is what the
web side imports, ``worker`` and ``jobs`` run next to the kernel."""
