"""The kernel hosts: each ``podpath agent`` registered with its capacity and heartbeat, and where every
sandbox lives (its placement, kept current by the agent that holds it)."""
