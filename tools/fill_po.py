"""Developer tool: merge a .pot with a {Chinese: English} dict into an English .po file.

    python tools/fill_po.py TEMPLATE.pot OUT.po translations.json
Untranslated strings are listed on stderr (they fall back to Chinese at run time).
"""
import json
import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def main(pot_path, po_path, dict_path):
    with open(pot_path, "rb") as fh:
        template = read_po(fh)
    with open(dict_path, encoding="utf-8") as fh:
        table = json.load(fh)
    catalog = Catalog(locale="en", project="yinzhou", charset="utf-8")
    missing = []
    for msg in template:
        if not msg.id:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        if key in table:
            catalog.add(msg.id, table[key], locations=msg.locations, flags=msg.flags - {"fuzzy"})
        else:
            missing.append(key)
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False)
    for key in missing:
        print("untranslated:", key, file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
