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


def test_amazon_linux_2023_loads_the_amazon_settings_and_passes_the_preflight():
    output, _ = Playbook(SCENARIO / "amazon_vars.yml")(env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    report = json.loads(output[output.index("{"):output.rindex("}") + 1])
    loaded = [
        file
        for task in report["plays"][0]["tasks"]
        for result in task["hosts"].values()
        for file in result.get("ansible_included_var_files", [])
    ]
    assert [file.split("/roles/", 1)[1] for file in loaded] == ["java_runtime/vars/Amazon.yml", "haproxy/vars/Amazon.yml"]
    assert report["stats"]["localhost"]["failures"] == 0


def test_amazon_linux_2_is_refused_naming_the_supported_release():
    output, _ = Playbook(SCENARIO / "amazon_vars.yml")("-e", "amazon_release=2", expect_failure=True)
    said = " ".join(output.split())
    assert "Amazon 2 is not supported: the Java runtime is set up on Amazon 2023" in said, output[-3000:]
    assert "HAProxy settings load" not in output
