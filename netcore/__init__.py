"""netcore: builds Podpath's scenarios on the real Linux kernel. No Django here.

The flow, pure parts first:

    parse (topology/parse.py)  ->  compile (topology/compile.py)  ->  plan (plan/planner.py)
        ->  apply (kernel/linux.py, the only writer)  ->  kernel

``reconcile.py`` ties read, plan and apply together; ``sandbox/`` owns lifecycles, names come from
``names.py``, and ``workloads/`` serves the built-in servers from one process per sandbox.
"""
