"""The nodes' Java runtime: the manager needs Java 17 and the PostgreSQL JDBC driver."""

import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]
).get_hosts("managers")


def test_java_on_the_path_is_17(host):
    assert 'version "17.' in host.run("java -version").stderr
    assert host.check_output("readlink -f $(command -v java)").startswith("/usr/lib/jvm/java-17-")


def test_jdbc_driver_is_installed(host):
    assert host.package("libpostgresql-jdbc-java").is_installed
    assert host.file("/usr/share/java/postgresql.jar").exists
