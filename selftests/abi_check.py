#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that include/mmlens.yaml agrees with include/uapi/linux/mmlens.h.

The UAPI header is the single source of truth; the YAML spec lets the kernel's
ynl tool speak the family.  This validates the spec against the kernel's own
genetlink schema (from linux-source), then has the C compiler assert that every
command and attribute the spec names has the value the spec implies, and that
every enumerator of the header appears in the spec.  Prints TAP and a last line
"N passed, N failed".

    abi_check.py HEADER SPEC SCHEMA
"""
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml


def c_name(prefix, name):
    return (prefix + name).upper().replace('-', '_')


def spec_enumerators(spec):
    """(C name, value) for every operation, attribute and constant of the spec."""
    out = []
    for d in spec.get('definitions', []):
        if d['type'] == 'const':
            out.append((c_name('mmlens-', d['name']), d['value']))
            continue
        start = d.get('value-start', 0)
        for i, entry in enumerate(d['entries']):
            name = entry if isinstance(entry, str) else entry['name']
            value = start + i
            out.append((c_name(f"mmlens-{d['name']}-", name),
                        1 << value if d['type'] == 'flags' else value))
    for aset in spec['attribute-sets']:
        prefix = aset.get('name-prefix', f"mmlens-a-{aset['name']}-")
        value = 0
        for attr in aset['attributes']:
            value = attr.get('value', value + 1)
            out.append((c_name(prefix, attr['name']), value))
    ops = spec['operations']
    value = 0
    for op in ops['list']:
        value = op.get('value', value + 1)
        out.append((c_name(ops.get('name-prefix', 'mmlens-cmd-'), op['name']), value))
    return out


def header_enumerators(text):
    """Enumerators of the header's enums, less UNSPEC and the __*_MAX sentinels."""
    names = []
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    for body in re.findall(r'enum\s+\w+\s*\{(.*?)\}', text, re.S):
        for item in body.split(','):
            name = item.split('=')[0].strip()
            if name and not name.endswith('_UNSPEC') and not name.startswith('__'):
                names.append(name)
    return names


def main():
    header, spec_path, schema_path = sys.argv[1:4]
    results = []

    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    try:
        jsonschema.validate(spec, schema)
        results.append(('spec validates against the genetlink schema', None))
    except jsonschema.ValidationError as e:
        results.append(('spec validates against the genetlink schema', e.message))

    with open(header) as f:
        htext = f.read()
    enums = spec_enumerators(spec)
    asserts = [f'_Static_assert({n} == {v}, "{n} is not {v}");' for n, v in enums]
    asserts.append('_Static_assert(sizeof(MMLENS_GENL_NAME) == sizeof("%s"), "name");'
                   % spec['name'])
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'abi.c')
        with open(src, 'w') as f:
            f.write(f'#include "{os.path.abspath(header)}"\n' + '\n'.join(asserts) + '\n')
        cc = subprocess.run([os.environ.get('CC', 'cc'), '-fsyntax-only', src],
                            capture_output=True, text=True)
    results.append(('every spec value matches the header',
                    cc.stderr.strip() if cc.returncode else None))

    named = {n for n, _ in enums}
    missing = [n for n in header_enumerators(htext)
               if n not in named and not n.endswith('_MAX')]
    results.append(('every header enumerator is in the spec',
                    ('missing from the spec: ' + ', '.join(missing)) if missing else None))

    print('TAP version 13')
    print(f'1..{len(results)}')
    failed = 0
    for i, (name, err) in enumerate(results, 1):
        if err:
            failed += 1
            print(f'not ok {i} {name}')
            for line in str(err).splitlines():
                print(f'# {line}')
        else:
            print(f'ok {i} {name}')
    print(f'{len(results) - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
