"""What java_runtime tells the manager's install, and what it would pick on Amazon Linux."""

import json
import os
import re

import testinfra.utils.ansible_runner

from conftest import NODES, SCENARIO, Playbook

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]
).get_hosts("load_balancers")


def test_java_facts_point_at_the_java_17_runtime():
    output, _ = Playbook(SCENARIO / "facts.yml")("--tags", "always", env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    report = json.loads(output[output.index("{"):output.rindex("}") + 1])
    shown = report["plays"][0]["tasks"][-1]["hosts"]
    for node in NODES:
        facts = shown[node]["msg"]
        assert re.fullmatch(r"/usr/lib/jvm/java-17-openjdk-[a-z0-9]+", facts["java_home"])
        assert facts["java"] == facts["java_home"] + "/bin/java"
        assert facts["version"].startswith("17.")
        assert facts["jdbc_jar"] == "/usr/share/java/postgresql.jar"


def test_amazon_linux_gets_corretto_and_its_packages():
    Playbook(SCENARIO / "amazon_vars.yml")()


def test_amazon_linux_2_is_refused_naming_the_supported_release():
    output, _ = Playbook(SCENARIO / "amazon_vars.yml")("-e", "amazon_release=2", expect_failure=True)
    said = " ".join(output.split())
    assert "Amazon 2 is not supported: the Java runtime is set up on Amazon 2023" in said, output[-3000:]
    assert "Amazon Linux 2023 packages are picked" not in output
