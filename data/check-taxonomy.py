#!/usr/bin/env python3
"""Check data/taxonomy.toml against the tables of TAXONOMY.md.

    python3 data/check-taxonomy.py path/to/TAXONOMY.md [path/to/taxonomy.toml]

Without a second argument the taxonomy.toml next to this script is checked. Asserts that both
files have exactly the same classes (codes and names), subclasses (codes, names, time limits,
unit kinds), request types and urgency levels, and checks the rules of the TOML's own fields
(English names, urgency of each subclass, synonyms, the unit-kind list). Python 3.11+, stdlib only.
Exit status 0 when everything matches, 1 with a list of differences otherwise.
"""

import re
import sys
import tomllib
from pathlib import Path

KINDS = {"Events": "event", "Components": "component"}
ROW = re.compile(r"^\|\s*(\d+)\s*\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|\s*$")
TIME_LIMIT = re.compile(r"^[1-9]\d*[hd]$")
REQUEST_CODES = {"咨询": "enquiry", "求助": "help", "投诉": "complaint", "举报": "report",
                 "建议": "suggestion", "表扬": "praise"}
URGENCY_CODES = {"紧急": "urgent", "一般": "normal", "缓办": "deferred"}


def parse_markdown(text):
    """Subclass rows per (kind, code), and the request-type and urgency names, from TAXONOMY.md."""
    subclasses, lists, section = {}, {}, None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            heading = line[3:].strip()
            section = next((k for w, k in KINDS.items() if heading.startswith(w)), heading)
            continue
        m = ROW.match(line)
        if m and section in KINDS.values():
            code, cls, sub, limit, unit = (g.strip() for g in m.groups())
            if (section, code) in subclasses:
                raise SystemExit(f"TAXONOMY.md line {n}: {section} {code} appears twice")
            subclasses[(section, code)] = {"class": cls, "name": sub, "time_limit": limit,
                                           "unit_kind": unit}
        elif section and (section.startswith("Request types") or section.startswith("Urgency")) \
                and "·" in line:
            names = [re.match(r"\s*(\S+)", part).group(1) for part in line.split("·")]
            lists["request_type" if section.startswith("Request") else "urgency"] = names
    return subclasses, lists


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    md_path = Path(sys.argv[1])
    toml_path = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(__file__).with_name("taxonomy.toml")
    md, md_lists = parse_markdown(md_path.read_text(encoding="utf-8"))
    data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    errors = []
    err = errors.append

    if not md:
        raise SystemExit(f"no taxonomy rows found in {md_path}")

    # Classes: TAXONOMY.md names a class on every row; it must be the same on all rows of a code.
    md_classes = {}
    for (kind, code), row in md.items():
        key = (kind, code[:2])
        if md_classes.setdefault(key, row["class"]) != row["class"]:
            err(f"TAXONOMY.md: {kind} class {code[:2]} has two names: {md_classes[key]}, {row['class']}")

    classes = {}
    for c in data.get("class", []):
        key = (c.get("kind"), c.get("code"))
        if key in classes:
            err(f"class {key} listed twice")
        classes[key] = c
    for key in sorted(md_classes.keys() - classes.keys()):
        err(f"class {key} {md_classes[key]} is missing from the TOML")
    for key in sorted(classes.keys() - md_classes.keys()):
        err(f"class {key} is in the TOML but not in TAXONOMY.md")
    for key in sorted(md_classes.keys() & classes.keys()):
        if classes[key].get("name") != md_classes[key]:
            err(f"class {key}: name {classes[key].get('name')!r}, TAXONOMY.md says {md_classes[key]!r}")

    subclasses = {}
    for s in data.get("subclass", []):
        key = (s.get("kind"), s.get("code"))
        if key in subclasses:
            err(f"subclass {key} listed twice")
        subclasses[key] = s
    for key in sorted(md.keys() - subclasses.keys()):
        err(f"subclass {key} {md[key]['name']} is missing from the TOML")
    for key in sorted(subclasses.keys() - md.keys()):
        err(f"subclass {key} is in the TOML but not in TAXONOMY.md")
    for key in sorted(md.keys() & subclasses.keys()):
        s, row = subclasses[key], md[key]
        for field in ("name", "time_limit", "unit_kind"):
            if s.get(field) != row[field]:
                err(f"subclass {key}: {field} {s.get(field)!r}, TAXONOMY.md says {row[field]!r}")

    # The TOML's own rules.
    names = {s.get("name") for s in subclasses.values()}
    synonym_owner = {}
    for key, s in sorted(subclasses.items()):
        if not TIME_LIMIT.match(str(s.get("time_limit"))):
            err(f"subclass {key}: time_limit {s.get('time_limit')!r} is not like 2h or 5d")
        cls = md_classes.get((key[0], key[1][:2]))
        want = "紧急" if key[0] == "event" and cls == "突发事件" and s.get("time_limit") == "2h" else "一般"
        if s.get("urgency") != want:
            err(f"subclass {key}: urgency {s.get('urgency')!r}, expected {want!r}")
        syn = s.get("synonyms")
        if not isinstance(syn, list) or not 3 <= len(syn) <= 6:
            err(f"subclass {key}: needs 3 to 6 synonyms, has {syn!r}")
            continue
        if len(set(syn)) != len(syn):
            err(f"subclass {key}: repeated synonym in {syn}")
        for word in syn:
            if not isinstance(word, str) or not word.strip() or word != word.strip():
                err(f"subclass {key}: empty or padded synonym {word!r}")
            elif word in names:
                err(f"subclass {key}: synonym {word!r} is the name of a subclass")
            elif word in synonym_owner and synonym_owner[word][0] == key[0]:
                err(f"subclass {key}: synonym {word!r} also belongs to {synonym_owner[word]}")
            synonym_owner.setdefault(word, key)
    for what, items in (("class", classes), ("subclass", subclasses)):
        for key, item in sorted(items.items()):
            en = item.get("en")
            if not isinstance(en, str) or not en.strip() or not en.isascii():
                err(f"{what} {key}: en {en!r} must be a non-empty English name")
            if key[0] not in KINDS.values():
                err(f"{what} {key}: kind must be event or component")

    used = {row["unit_kind"] for row in md.values()}
    unit_kinds = [u.get("name") for u in data.get("unit_kind", [])]
    if len(set(unit_kinds)) != len(unit_kinds):
        err("a unit kind is listed twice")
    for u in sorted(used - set(unit_kinds)):
        err(f"unit kind {u} is used but not in [[unit_kind]]")
    for u in sorted(set(unit_kinds) - used):
        err(f"unit kind {u} is listed but no subclass uses it")
    for u in data.get("unit_kind", []):
        if not isinstance(u.get("en"), str) or not u["en"].strip() or not u["en"].isascii():
            err(f"unit kind {u.get('name')}: en {u.get('en')!r} must be a non-empty English name")

    for table, codes in (("request_type", REQUEST_CODES), ("urgency", URGENCY_CODES)):
        got = [(x.get("name"), x.get("code")) for x in data.get(table, [])]
        want = [(name, codes.get(name)) for name in md_lists.get(table, [])]
        if not want:
            err(f"TAXONOMY.md: no {table} list found")
        elif got != want:
            err(f"[[{table}]] is {got}, expected {want} (TAXONOMY.md order)")
        for x in data.get(table, []):
            if not isinstance(x.get("en"), str) or not x["en"].strip():
                err(f"{table} {x.get('code')}: en missing")
    urgency_names = {x.get("name") for x in data.get("urgency", [])}
    for key, s in sorted(subclasses.items()):
        if s.get("urgency") not in urgency_names:
            err(f"subclass {key}: urgency {s.get('urgency')!r} is not a listed [[urgency]]")

    for kind in KINDS.values():
        n_cls = sum(1 for k in classes if k[0] == kind)
        n_sub = sum(1 for k in subclasses if k[0] == kind)
        print(f"{kind}: {n_cls} classes, {n_sub} subclasses")
    print(f"unit kinds: {len(unit_kinds)}, request types: {len(data.get('request_type', []))}, "
          f"urgency levels: {len(data.get('urgency', []))}")
    if errors:
        print(f"{len(errors)} difference(s):", *errors, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("taxonomy.toml matches TAXONOMY.md")


if __name__ == "__main__":
    main()
