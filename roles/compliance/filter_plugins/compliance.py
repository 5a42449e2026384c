"""Filters of the compliance role: evaluate the catalogue's automated controls on a snapshot, and write the reports."""

from __future__ import annotations

import html
import json
from collections import Counter
from typing import Any, Callable
from xml.sax.saxutils import escape, quoteattr

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: compliance_evaluate
short_description: PASS, FAIL or ERROR for every control of the catalogue, with its evidence
description:
  - For each control of the catalogue - automated ones evaluated on the snapshot that C(compliance_estate) read, with
    the resource, the observed value and the expected value of every finding; procedure ones PASS when their document
    is among the documents found, inherited ones are listed with their AWS reference (status INHERITED).
  - A control whose part of the snapshot could not be read is ERROR, never FAIL; an unknown check name is ERROR too.
  - compliance_junit and compliance_html write the results as JUnit XML and as a single HTML page.
options:
  _input:
    description: The controls of compliance/catalogue.yml.
    type: list
    elements: dict
    required: true
  snapshot:
    description: The snapshot of the estate (C(compliance_estate)'s snapshot), plus context (expected values).
    type: dict
  documents:
    description: Paths of the procedure documents that exist.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Evaluate
  ansible.builtin.set_fact:
    results: "{{ catalogue.controls | compliance_evaluate(snapshot, documents) }}"
"""

RETURN = r"""
_value:
  description: One result per control - number, id, area, requirement, response, kind, status, evidence (list of
    {resource, observed, expected, ok}), reference.
  type: list
  elements: dict
"""

Finding = dict[str, Any]
WEAK_PORTS = {22: "SSH", 3389: "RDP"}
OPEN = {"0.0.0.0/0", "::/0"}


def _f(resource: str, observed: Any, expected: Any, ok: bool) -> Finding:
    return {"resource": resource, "observed": observed, "expected": expected, "ok": bool(ok)}


def _covers(rule: dict[str, Any], port: int) -> bool:
    if rule.get("protocol") == "-1":
        return True
    return rule.get("from") is not None and rule["from"] <= port <= rule["to"]


def check_no_open_port(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    port = int(p["port"])
    out = []
    for group in s["security_groups"]:
        opened = sorted({c for r in group["ingress"] if _covers(r, port) for c in r["cidrs"] if c in OPEN})
        out.append(_f(f"{group['id']} ({group['name']})", opened or "closed", f"port {port} not open to the internet", not opened))
    return out


def check_group_no_cidr_ingress(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    out = []
    for group in s["security_groups"]:
        if not group["name"].endswith(p["suffix"]):
            continue
        allowed = set(p.get("allowed", [])) | (set(s["context"].get("admin_cidrs", [])) if p.get("admin") else set())
        cidrs = sorted({c for r in group["ingress"] for c in r["cidrs"] if c not in allowed})
        out.append(_f(f"{group['id']} ({group['name']})", cidrs or "groups only", "ingress only from the estate's groups", not cidrs))
    return out


def check_instances_private(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    return [_f(i["id"], i["public_ip"] or "none", "no public address", not i["public_ip"]) for i in s["instances"]]


def check_instances_imdsv2(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    return [_f(i["id"], i["http_tokens"], "required", i["http_tokens"] == "required") for i in s["instances"]]


def check_db(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    key, expected = p["key"], p["expected"]
    out = []
    for db in s["databases"]:
        value = db.get(key)
        ok = value >= expected if p.get("at_least") else (str(value) == str(expected))
        out.append(_f(db["id"], value, f">= {expected}" if p.get("at_least") else expected, ok))
    return out


def check_bucket(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    bucket = s["buckets"].get(p["bucket"])
    if bucket is None:
        raise KeyError(f"bucket role {p['bucket']} is not named in compliance_buckets")
    name = f"s3://{bucket['name']}"
    if not bucket["exists"]:
        return [_f(name, "missing", "exists", False)]
    value = bucket.get(p["key"])
    expected = p["expected"]
    if isinstance(expected, list):
        return [_f(name, value, f"one of {expected}", value in expected)]
    return [_f(name, value, expected, value == expected)]


def check_bucket_retention(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    bucket = s["buckets"][p["bucket"]]
    days = bucket.get("expiration_days", [])
    expected = int(s["context"]["retention_days"])
    return [_f(f"s3://{bucket['name']}", days or "no expiry", f"expire after {expected} days", days == [expected])]


def check_flow_logs(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    out = []
    for vpc in s["vpcs"]:
        active = [f for f in vpc["flow_logs"] if f["status"] == "ACTIVE" and f["traffic"] == "ALL"]
        out.append(_f(vpc["id"], [f["destination"] for f in active] or "none", "a flow log of ALL traffic", bool(active)))
    return out


def check_lb_access_logs(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    logs = s["buckets"].get("logs", {}).get("name", "")
    return [_f(lb["name"], lb["access_logs_bucket"] if lb["access_logs"] else "off", f"on, into {logs}",
               lb["access_logs"] and lb["access_logs_bucket"] == logs) for lb in s["load_balancers"]]


def check_lb_listeners_443(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    return [_f(lb["name"], sorted(li["port"] for li in lb["listeners"]), [443],
               sorted(li["port"] for li in lb["listeners"]) == [443]) for lb in s["load_balancers"]]


def check_tls_policy(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    out = []
    for lb in s["load_balancers"]:
        for li in lb["listeners"]:
            if li["protocol"] in ("HTTPS", "TLS"):
                out.append(_f(f"{lb['name']}:{li['port']}", li["ssl_policy"], "an ELBSecurityPolicy-TLS13-1-2-* policy",
                              li["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-2")))
    return out


def check_alarms(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    alarms = {a["name"]: a for a in s["alarms"]}
    topic = s["topic"]["arn"]
    names = [f"{g}-{p['suffix']}" for g in s["target_groups"]] if p["on"] == "target_groups" else \
        [f"{d['id']}-{p['suffix']}" for d in s["databases"]]
    out = []
    for name in names:
        alarm = alarms.get(name)
        observed = "missing" if alarm is None else ("actions disabled" if not alarm["enabled"] else alarm["actions"])
        out.append(_f(name, observed, f"enabled, notifying {topic or 'the topic'}",
                      alarm is not None and alarm["enabled"] and bool(topic) and topic in alarm["actions"]))
    return out


def check_topic(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    return [_f(f"{s['estate']}-alerts", s["topic"]["arn"] or "missing", "exists", bool(s["topic"]["arn"]))]


def check_rds_events(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    wanted = set(p["categories"])
    subs = [x for x in s["rds_subscriptions"] if x["enabled"] and wanted <= set(x["categories"]) and x["topic"] == s["topic"]["arn"]]
    return [_f(f"{s['estate']}-db-events", [x["name"] for x in s["rds_subscriptions"]] or "missing",
               f"enabled, {sorted(wanted)}, to the topic", bool(subs))]


def check_node_rule(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    rule = s["node_rule"]
    return [_f(f"{s['estate']}-node-replaced", rule["state"], "ENABLED, targeting the topic",
               rule["state"] == "ENABLED" and s["topic"]["arn"] in rule["targets"])]


def check_trail(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    key = p["key"]
    logging = [t for t in s["trails"] if t["logging"] and t["multi_region"]]
    if not logging:
        return [_f("cloudtrail", [t["name"] for t in s["trails"]] or "no trail", "a multi-region trail logging", False)]
    return [_f(t["name"], t[key], True, t[key]) for t in logging]


def check_node_role(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    role = s["node_role"]
    name = f"role/{s['estate']}-node"
    if not role["exists"]:
        return [_f(name, "missing", "exists", False)]
    if p["key"] == "boundary":
        return [_f(name, role["boundary"] or "none", "a permissions boundary", bool(role["boundary"]))]
    if p["key"] == "no_wildcard":
        wild = [a for a in role["actions"] if "*" in a]
        return [_f(name, wild or "none", "no wildcard action", not wild)]
    return [_f(name, role["attached"] or "none", "no managed policy attached", not role["attached"])]


def check_templates(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    out = []
    for t in s["launch_templates"]:
        if p["key"] == "http_tokens":
            out.append(_f(t["name"], t["http_tokens"], "required", t["http_tokens"] == "required"))
        else:
            out.append(_f(t["name"], t["volumes_encrypted"], "every volume encrypted",
                          bool(t["volumes_encrypted"]) and all(t["volumes_encrypted"])))
    return out


def check_audit_shipped(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    keys = [k for k in s["audit_shipped"] if k.endswith("/change-window.jsonl")]
    return [_f(f"s3://{s['buckets']['logs']['name']}/audit/{s['estate']}/", keys or "nothing", "the audit log", bool(keys))]


def check_settings_no_secret(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    words = ("password", "passwd", "license", "activation", "token", "private_key", "secret")
    bad = [k for k in s["node_settings_keys"] if k.lower().endswith(words) and not k.lower().endswith("_secret_id")]
    return [_f("bootstrap/settings.json", bad or "ids of secrets only", "no secret value", not bad)]


def check_audit_log(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    entries = s["context"]["audit_entries"]
    if p["key"] == "present":
        return [_f("change-window.jsonl", f"{len(entries)} entries", "entries with step and result",
                   bool(entries) and all("step" in e and "result" in e for e in entries))]
    overrides = [e for e in entries if (e.get("decision") or "") == "override"]
    bad = [e.get("ts", e.get("time", "?")) for e in overrides if not (e.get("ticket") and e.get("approver"))]
    return [_f("change-window.jsonl", f"{len(overrides)} overrides, {len(bad)} without ticket and approver",
               "every override with a ticket and an approver", not bad)]


def check_context(s: dict[str, Any], p: dict[str, Any]) -> list[Finding]:
    value = s["context"].get(p["key"])
    return [_f(p["key"], value, p["expected"], value == p["expected"])]


CHECKS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any], dict[str, Any]], list[Finding]]]] = {
    "no_open_port": (("security_groups",), check_no_open_port),
    "group_no_cidr_ingress": (("security_groups", "context"), check_group_no_cidr_ingress),
    "instances_private": (("instances",), check_instances_private),
    "instances_imdsv2": (("instances",), check_instances_imdsv2),
    "db": (("databases",), check_db),
    "bucket": (("buckets",), check_bucket),
    "bucket_retention": (("buckets", "context"), check_bucket_retention),
    "flow_logs": (("vpcs",), check_flow_logs),
    "lb_access_logs": (("load_balancers", "buckets"), check_lb_access_logs),
    "lb_listeners_443": (("load_balancers",), check_lb_listeners_443),
    "tls_policy": (("load_balancers",), check_tls_policy),
    "alarms": (("alarms", "topic", "target_groups", "databases"), check_alarms),
    "topic": (("topic",), check_topic),
    "rds_events": (("rds_subscriptions", "topic"), check_rds_events),
    "node_rule": (("node_rule", "topic"), check_node_rule),
    "trail": (("trails",), check_trail),
    "node_role": (("node_role",), check_node_role),
    "templates": (("launch_templates",), check_templates),
    "audit_shipped": (("audit_shipped", "buckets"), check_audit_shipped),
    "settings_no_secret": (("node_settings_keys",), check_settings_no_secret),
    "audit_log": (("context",), check_audit_log),
    "context": (("context",), check_context),
}
KINDS = ("inherited", "procedure", "automated")


def compliance_evaluate(controls: list[dict[str, Any]], snapshot: dict[str, Any], documents: list[str]) -> list[dict[str, Any]]:
    """One result per control; see DOCUMENTATION."""
    results = []
    for control in controls:
        evidence = control.get("evidence") or {}
        kind = evidence.get("kind")
        if kind not in KINDS:
            raise AnsibleFilterError(f"control {control.get('id')}: evidence.kind {kind!r} must be one of {', '.join(KINDS)}")
        result = {key: control.get(key) for key in ("number", "id", "area", "requirement", "response")}
        result.update(kind=kind, evidence=[], reference=evidence.get("reference") or evidence.get("document") or "")
        if kind == "inherited":
            result["status"] = "INHERITED"
        elif kind == "procedure":
            found = evidence["document"] in documents
            result["status"] = "PASS" if found else "FAIL"
            result["evidence"] = [_f(evidence["document"], "present" if found else "missing", "present", found)]
        else:
            name = evidence.get("check", "")
            result["reference"] = f"check {name}" + (f" ({evidence['tool']})" if evidence.get("tool") else "")
            if name not in CHECKS:
                result.update(status="ERROR", evidence=[_f(name, "unknown check", "a check of the compliance role", False)])
            else:
                needs, check = CHECKS[name]
                unread = [part for part in needs if snapshot.get(part) is None]
                if unread:
                    result.update(status="ERROR", evidence=[_f(", ".join(unread), "not read", "read", False)])
                else:
                    try:
                        findings = check(snapshot, evidence.get("params") or {})
                    except (KeyError, TypeError, ValueError) as err:
                        result.update(status="ERROR", evidence=[_f(name, f"{type(err).__name__}: {err}", "evaluated", False)])
                    else:
                        if not findings:
                            findings = [_f("(none)", "no resource to check", "at least one resource", False)]
                        result.update(status="PASS" if all(f["ok"] for f in findings) else "FAIL", evidence=findings)
        results.append(result)
    return results


def compliance_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by kind, by status and by area and status; the automated share of the controls not inherited."""
    kinds = Counter(r["kind"] for r in results)
    areas: dict[str, Counter] = {}
    for r in results:
        areas.setdefault(r["area"], Counter())[r["status"]] += 1
    own = kinds["procedure"] + kinds["automated"]
    return {"controls": len(results), "kinds": dict(kinds), "statuses": dict(Counter(r["status"] for r in results)),
            "areas": {area: dict(counts) for area, counts in sorted(areas.items())},
            "automated_share": round(kinds["automated"] / own, 3) if own else 0.0}


def compliance_junit(results: list[dict[str, Any]]) -> str:
    """JUnit XML: one test case per control not inherited; FAIL a failure, ERROR an error."""
    cases = [r for r in results if r["kind"] != "inherited"]
    counts = Counter(r["status"] for r in cases)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuite name="compliance" tests="{len(cases)}" failures="{counts["FAIL"]}" errors="{counts["ERROR"]}">']
    for r in cases:
        lines.append(f'  <testcase classname={quoteattr(r["area"])} name={quoteattr(r["id"] + " " + r["requirement"])}>')
        detail = escape(json.dumps([f for f in r["evidence"] if not f["ok"]], default=str))
        if r["status"] == "FAIL":
            lines.append(f'    <failure message={quoteattr(r["id"] + " failed")}>{detail}</failure>')
        elif r["status"] == "ERROR":
            lines.append(f'    <error message={quoteattr(r["id"] + " could not be evaluated")}>{detail}</error>')
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


_STYLE = """body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}h1{font-size:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f0f0f0}
.PASS{background:#d7f5dd}.FAIL{background:#fbd3d3}.ERROR{background:#fde9b8}.INHERITED{background:#e3e8f4}
#filter{font-size:1em;padding:.3em;width:24em}.evidence td{font-size:12px;border-color:#ddd}"""
_SCRIPT = """function applyFilter(){var q=document.getElementById('filter').value.toLowerCase();
var s=document.getElementById('status').value;var shown=0;
document.querySelectorAll('tr.control').forEach(function(r){var ok=r.textContent.toLowerCase().indexOf(q)>=0&&(!s||r.dataset.status===s);
r.style.display=ok?'':'none';if(ok){shown++;}});document.getElementById('shown').textContent=shown;}
window.addEventListener('DOMContentLoaded',function(){var h=new URLSearchParams(location.hash.slice(1));
if(h.get('status')){document.getElementById('status').value=h.get('status');}if(h.get('q')){document.getElementById('filter').value=h.get('q');}
applyFilter();});"""


def compliance_html(results: list[dict[str, Any]], title: str, generated: str) -> str:
    """A single page: the summary by area and status, a filter, and each control with its evidence."""
    summary = compliance_summary(results)
    statuses = ["PASS", "FAIL", "ERROR", "INHERITED"]
    e = html.escape
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title><style>{_STYLE}</style>",
           f"<script>{_SCRIPT}</script></head><body><h1>{e(title)}</h1>",
           f"<p id='totals'>{summary['controls']} controls, generated {e(generated)}: "
           + ", ".join(f"<span class='{s}'>{s} {summary['statuses'].get(s, 0)}</span>" for s in statuses)
           + f". Automated share of the controls not inherited: {summary['automated_share'] * 100:.0f} %.</p>",
           "<h2>Summary by area</h2><table id='summary'><tr><th>area</th>" + "".join(f"<th>{s}</th>" for s in statuses) + "</tr>"]
    for area, counts in summary["areas"].items():
        out.append(f"<tr><td>{e(area)}</td>" + "".join(f"<td class='{s if counts.get(s) else ''}'>{counts.get(s, 0)}</td>" for s in statuses) + "</tr>")
    out.append("</table><h2>Controls</h2><p><input id='filter' placeholder='Filter: ID, area, text' oninput='applyFilter()'> "
               "<select id='status' onchange='applyFilter()'><option value=''>every status</option>"
               + "".join(f"<option>{s}</option>" for s in statuses)
               + f"</select> <span id='shown'>{len(results)}</span> shown</p>")
    out.append("<table id='controls'><tr><th>#</th><th>ID</th><th>area</th><th>requirement</th><th>response</th><th>status</th><th>evidence</th></tr>")
    for r in results:
        rows = "".join(f"<tr class='{'PASS' if f['ok'] else 'FAIL'}'><td>{e(str(f['resource']))}</td><td>{e(json.dumps(f['observed'], default=str))}</td>"
                       f"<td>{e(json.dumps(f['expected'], default=str))}</td></tr>" for f in r["evidence"])
        evidence = (f"<table class='evidence'><tr><th>resource</th><th>observed</th><th>expected</th></tr>{rows}</table>" if rows else "")
        out.append(f"<tr class='control' data-status='{r['status']}' id='{e(r['id'])}'><td>{r['number']}</td><td>{e(r['id'])}</td><td>{e(r['area'])}</td>"
                   f"<td>{e(r['requirement'])}</td><td>{e(r['response'])}</td><td class='{r['status']}'>{r['status']}</td>"
                   f"<td>{e(r['kind'])}: {e(str(r['reference']))}{evidence}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


class FilterModule:
    """compliance filters."""

    def filters(self) -> dict[str, Any]:
        return {"compliance_evaluate": compliance_evaluate, "compliance_summary": compliance_summary,
                "compliance_junit": compliance_junit, "compliance_html": compliance_html}
