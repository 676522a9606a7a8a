"""The agent: sandbox work (build, step, reset, manifests, walks, observers) reached over the channel layer."""
