"""The Python harness that drives and observes the lab, shared by the tests and the benches: run a playbook,
start throwaway systemd containers, probe a node or the load balancer, hold a steady load, find a free port."""
