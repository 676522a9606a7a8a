"""The learner jail: how a command that a student starts runs on the kernel host.

Learners are untrusted. Their console lines, the commands to try that the dashboard runs for them and the
checks built from their input run here, never as root in the host's view of the machine:

- ``policy`` (pure) decides what the jail holds: the mounts of a fresh root, the limits, the account;
- ``launch`` is the small stdlib-only program that builds the jail and executes the command in it;
- ``probe`` tells whether this kernel and machine can build it, so a console refuses to start rather than
  run a command unjailed.

``netcore.kernel.run.run_in_namespace(..., jailed=True)`` is the one way in.
"""
