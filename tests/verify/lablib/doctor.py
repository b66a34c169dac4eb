"""The DNS doctor alone (postmaster.mail.dns_doctor_info), as the server role runs it, from the
controller against the lab: a nested playbook, its checks read from the structured results."""

import json

from .playbook import run_playbook

PLAYBOOK = """\
- name: The DNS doctor
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask
      postmaster.mail.dns_doctor_info:
        hostname: "{{ doctor_hostname }}"
        domains: "{{ doctor_domains }}"
        records: "{{ doctor_records }}"
        mta_sts_policy: "{{ doctor_policy | default('') }}"
        ca_bundle: "{{ doctor_ca_bundle | default('') }}"
        resolvers: "{{ doctor_resolvers }}"
      register: doctor
    - name: Say
      ansible.builtin.debug:
        msg: "{{ doctor.checks | selectattr('check', 'in', doctor_checks) | list | to_json }}"
"""


def doctor_checks(molecule_env, tmp_path, checks, hostname, domains, records, resolvers, policy="", ca_bundle=""):
    """The doctor's results of the checks named in `checks` (e.g. ["tlsa"]), as a list of dicts."""
    playbook = tmp_path / "doctor.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    run = run_playbook(playbook, molecule_env, extra_vars={
        "doctor_hostname": hostname, "doctor_domains": list(domains), "doctor_records": records,
        "doctor_policy": policy, "doctor_ca_bundle": ca_bundle, "doctor_resolvers": list(resolvers),
        "doctor_checks": list(checks)})
    assert run.rc == 0, run.failure_messages()
    said = [result.msg for result in run.results if result.task == "Say" and result.status == "ok"]
    assert len(said) == 1, run.output[-2000:]
    return json.loads(said[0])
