#!/usr/bin/env python3
"""Regenerates src/api/error_table.rs from nats-server's server/errors.json.

Usage: git -C <nats-server git dir> show HEAD:server/errors.json > /tmp/errors.json
       python3 tools/gen_error_table.py /tmp/errors.json > src/api/error_table.rs
"""
import json
import re
import sys


def snake(c):
    c = re.sub(r'^JS', '', c)
    c = re.sub(r'(Err|Error)?F?$', '', c)
    s = re.sub(r'(?<=[a-z0-9])([A-Z])', r'_\1', c)
    s = re.sub(r'(?<=[A-Z])([A-Z][a-z])', r'_\1', s)
    return s.lower()


d = json.load(open(sys.argv[1]))
out = [
    "//! The JetStream API error table, generated from nats-server's `server/errors.json`",
    "//! (one constructor per entry; `{placeholders}` become arguments). Do not edit by hand:",
    "//! regenerate with `tools/gen_error_table.py`.",
    "",
    "use super::ApiError;",
    "",
    "impl ApiError {",
]
seen = set()
for e in sorted(d, key=lambda e: e['error_code']):
    n = snake(e['constant'])
    if n in seen:
        n = n + "_" + str(e['error_code'])
    seen.add(n)
    desc = e['description']
    uniq = []
    for p in re.findall(r'\{(\w+)\}', desc):
        if p not in uniq:
            uniq.append(p)
    args = ", ".join(f"{p}: impl std::fmt::Display" for p in uniq)
    out.append(f"    /// {e['error_code']} ({e['code']}): `{desc}` (`{e['constant']}`).")
    out.append(f"    pub fn {n}({args}) -> ApiError {{")
    if uniq:
        fmtd = desc.replace('{', '{{').replace('}', '}}')
        for p in uniq:
            fmtd = fmtd.replace('{{' + p + '}}', '{' + p + '}')
        out.append(f"        ApiError::new({e['code']}, {e['error_code']}, format!({json.dumps(fmtd)}))")
    else:
        out.append(f"        ApiError::new({e['code']}, {e['error_code']}, {json.dumps(desc)}.to_string())")
    out.append("    }")
out.append("}")
print("\n".join(out))
