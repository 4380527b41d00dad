#!/usr/bin/env python3
"""Write a scenario with a list of N members spread over D domains.

Usage: scale.py N D [alias|list] > FILE.yaml
alias (default): the list is an aliases line on an MX.
list: the list is run by a list server (role list), which numbers, archives
and distributes the post with the list's envelope sender.
One post to the list is expanded, each domain's MX is looked up, and every
member's copy is delivered, all in virtual time.
"""
import sys

n, d = int(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "alias"
out = []
w = out.append
w("version: 1")
w(f"name: scale-{n}")
w("hosts:")
w("  - { name: pc, role: mua, address: 192.0.2.23 }")
w("  - name: lists")
w("    role: " + ("list" if mode == "list" else "mx"))
w("    address: 192.0.2.25")
w("    hostname: lists.example.org")
w("    domains: [lists.example.org]")
if mode == "list":
    w("    lists:")
    w("      big:")
    w("        admin: [owner@lists.example.org]")
    w("        members:")
    w("          - owner@lists.example.org")
    for i in range(n):
        w(f"          - m{i}@d{i % d}.example")
else:
    w("    aliases:")
    w("      big:")
    for i in range(n):
        w(f"        - m{i}@d{i % d}.example")
w("  - name: ns")
w("    role: dns")
w("    address: 192.0.2.53")
w("    zones:")
w('      members.example: ["mx A 198.51.100.20"]')
for j in range(d):
    w(f'      d{j}.example: ["@ MX 10 mx.members.example."]')
w("  - name: members")
w("    role: mx")
w("    address: 198.51.100.20")
w("    hostname: mx.members.example")
w("    domains: [" + ", ".join(f"d{j}.example" for j in range(d)) + "]")
w("users:")
if mode == "list":
    w("  - { address: owner@lists.example.org }")
for i in range(n):
    w(f"  - {{ address: m{i}@d{i % d}.example }}")
w("steps:")
w("  - send: { from_host: pc, via: lists, from: owner@lists.example.org, to: [big@lists.example.org], subject: hello }")
w("expect:")
w(f"  - delivered: {{ to: m{n - 1}@d{(n - 1) % d}.example, count: 1 }}")
print("\n".join(out))
