"""The manager reaches its database over TLS only: the postgresql role refuses clear text, and the
manager role tells the service to require TLS (dsm.properties), as RDS with rds.force_ssl would."""

import pytest
from conftest import node

testinfra_hosts = ["ansible://manager-db"]
NODES = ("manager-node-1", "manager-node-2")


def sql(host, query: str) -> list[list[str]]:
    out = host.check_output(f"runuser -u postgres -- psql -X -At -F '|' -d dsm -c \"{query}\"")
    return [line.split("|") for line in out.splitlines() if line]


def test_every_connection_of_the_nodes_is_encrypted(host):
    rows = sql(host, "SELECT a.client_addr, s.ssl, s.version FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
                     " WHERE a.client_addr IS NOT NULL AND a.usename <> 'postgres'")
    assert rows, "no connection of the nodes is open"
    assert all(ssl == "t" and version in ("TLSv1.2", "TLSv1.3") for _, ssl, version in rows), rows


def test_a_clear_text_login_is_refused(host):
    rules = host.check_output("runuser -u postgres -- psql -X -At -c 'SELECT type, address FROM pg_hba_file_rules'"
                              " | grep -v '^local'")
    lines = [line.split("|") for line in rules.splitlines() if line]
    network = [kind for kind, address in lines if address not in ("127.0.0.1", "::1")]
    assert network and set(network) == {"hostssl"}, lines


@pytest.mark.parametrize("name", NODES)
def test_the_service_is_told_to_require_tls(name):
    assert "database.PostgreSQL.connectionParameters=sslmode=require" in node(name).file("/opt/dsm/dsm.properties").content_string
