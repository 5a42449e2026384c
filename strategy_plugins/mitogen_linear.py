"""Ansible's linear strategy with Mitogen running the modules (requirements.txt pins mitogen).

Mitogen keeps one Python interpreter per connection and runs every module inside it, so a module's
imports are paid once per run instead of once per task. The AWS plays on the controller (provision,
teardown, monitoring, evidence) spend most of their time importing boto3 and the amazon.aws module
utilities task after task: bench/provision.py measures the gain on a converged provision.yml re-run.

Mitogen redirects only the connections it implements and that are named by their short names
(``local``, ``ssh``, ``docker``). The nodes' connections in production (``amazon.aws.aws_ssm``) and in
the lab (``ansible.builtin.ssh``, named in full) run as Ansible runs them. The molecule scenarios name
``docker``, so the runbook runs their tests make keep one interpreter per container.

Where Mitogen is not installed (a controller set up from an older requirements.txt), the run goes on
with Ansible's own linear strategy and says so: a slower run, not a failed one.
``ANSIBLE_STRATEGY=linear`` switches Mitogen off for a run (and the filters loaded once, below).
"""

from __future__ import annotations

import sys

from ansible.plugins.loader import filter_loader, test_loader

try:
    import ansible_mitogen.affinity
    from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule as _Linear
except ImportError:
    from ansible.plugins.strategy.linear import StrategyModule as _Linear
    from ansible.utils.display import Display

    Display().warning(f"Mitogen is not installed for {sys.executable}: this run uses Ansible's linear strategy. "
                      "Install requirements.txt (mitogen), or set ANSIBLE_STRATEGY=linear to choose it.")
else:
    # On a machine of fewer than four CPUs Mitogen pins its multiplexer to one CPU and the whole run,
    # workers and module interpreters, to the other. Several runs at once (a controller running
    # scheduled jobs, the test lanes of `make test`) would then all share one CPU while the other
    # idles: the kernel's scheduler places them better. The base policy assigns nothing.
    ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()


class StrategyModule(_Linear):
    """The linear strategy, with the Jinja filters and tests loaded in the controller before each task's worker forks.

    Ansible loads the filter and test plugins (every file of every configured path, with their imports:
    icalendar for change_window) the first time a template uses one, and caches them in the process
    that did. Each task runs in a worker forked from the controller, and a role that ships filter
    plugins clears that cache when it loads, so without this every templating worker loaded them
    all again. In a plan-only rolling upgrade of the lab that was 46 % of the controller's CPU (py-spy):
    10.1 s wall and 10 s of CPU with this, 14.8 s and 17 s without. Loaded here, once per cache, every
    worker inherits them.
    """

    def _queue_task(self, host, task, task_vars, play_context):
        for loader in (filter_loader, test_loader):
            next(loader.all(), None)  # loads them all on the first call after a clear; cheap afterwards
        super()._queue_task(host, task, task_vars, play_context)
