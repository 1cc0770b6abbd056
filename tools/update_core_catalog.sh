#!/usr/bin/env bash
# Re-extract core's strings and rebuild translations/en from translations/core_en.json.
set -e
cd "$(dirname "$0")/.."
cfg=$(mktemp)
cat > "$cfg" <<'CFG'
[python: core/**.py]
[jinja2: templates/*.html]
[jinja2: templates/core/**.html]
[jinja2: templates/auth/**.html]
[jinja2: templates/errors/**.html]
CFG
.venv/bin/pybabel extract -F "$cfg" -k _l -k lazy_gettext -o /tmp/core.pot . >/dev/null 2>&1
.venv/bin/python tools/fill_po.py /tmp/core.pot translations/en/LC_MESSAGES/messages.po translations/core_en.json
.venv/bin/pybabel compile -f -d translations >/dev/null
