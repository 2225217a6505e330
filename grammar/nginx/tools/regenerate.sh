#!/usr/bin/env bash
# Regenerate grammar/nginx/directives.tsv and re-verify it against nginx -t.
# Not used by the build: the table is committed. Needs a Debian 12 machine (apt, nginx-full),
# python3 with pyelftools, npm, and network access to Debian's archive, PyPI and the npm registry.
# Everything it downloads goes under $WORK (default /tmp/wirelint-grammar).
set -euo pipefail
cd "$(dirname "$0")"
WORK="${WORK:-/tmp/wirelint-grammar}"
mkdir -p "$WORK/debs" "$WORK/root" "$WORK/reflib" "$WORK/cp"

# 1. Debian's nginx 1.22.1 and every libnginx-mod-* package, unpacked (not installed: nothing lands in
#    /etc/nginx/modules-enabled), plus the runtime libraries the modules link against.
apt-get install -y -qq nginx-full libgeoip1 libpcre3 libmodsecurity3 libluajit2-5.1-2 >/dev/null
python3 -m pip install -q pyelftools
( cd "$WORK/debs" && apt-get download -qq \
    $(apt-cache search '^libnginx-mod-' | awk '{print $1}' | grep -v -- '-dev$') \
    lua-resty-core lua-resty-lrucache )
for f in "$WORK"/debs/*.deb; do dpkg -x "$f" "$WORK/root"; done
MODS="$WORK/root/usr/lib/nginx/modules"

# 2. nginx's own tables (ngx_command_t) out of the binary and the modules.
python3 extract_commands.py /usr/sbin/nginx "$MODS"/*.so >"$WORK/commands.jsonl"
python3 - "$WORK/commands.jsonl" >data/debian-bookworm-commands.tsv <<'EOF'
import json, sys
print("# ngx_command_t tables read by extract_commands.py from Debian bookworm nginx 1.22.1-9+deb12u11")
print("# (nginx-full binary + libnginx-mod-* .so files). columns: object module module_type type(hex) name")
for l in open(sys.argv[1]):
    r = json.loads(l)
    print("\t".join([r["object"].split("/")[-1], r["module"], r["module_type"], "%#010x" % r["type"], r["name"]]))
EOF

# 3. @nginx/reference-lib (nginx.org docs as data).
( cd "$WORK/reflib" && npm pack -q @nginx/reference-lib@1.1.41 >/dev/null && tar xzf nginx-reference-lib-1.1.41.tgz )
node -e '
const d = require(process.argv[1] + "/package/dist/index.js").getDirectives(1);
console.log("# @nginx/reference-lib 1.1.41 (Apache-2.0) getDirectives(): name module contexts isBlock syntax(markdown, lines joined by \x27 ;; \x27) plus_note");
for (const x of d) {
  const desc = x.description.replace(/\n/g, " ").replace(/> /g, "");
  const plus = desc.includes("commercial subscription") && desc.includes("This directive is available as part of our") ? "commercial" : "";
  const syn = x.syntax.map(s => s.replace(/[\t\n]/g, " ")).join(" ;; ");
  console.log([x.name, x.module, x.contexts.join(","), x.isBlock ? "block" : "", syn, plus].join("\t"));
}' "$WORK/reflib" >data/reference-lib-1.1.41.tsv

# 4. crossplane-ng's analyzer table (fallback arity for directives Debian does not ship).
python3 -m pip download -q --no-deps crossplane-ng==0.5.10 -d "$WORK/cp"
( cd "$WORK/cp" && unzip -o -q crossplane_ng-0.5.10-py2.py3-none-any.whl -d unzipped )
python3 extract_crossplane.py "$WORK/cp/unzipped" >data/crossplane-ng-0.5.10.tsv

# 5. Build the table, then probe nginx -t with every module loaded.
python3 build_table.py
python3 probe_nginx.py --modules "$MODS" --lua-path "$WORK/root/usr/share/lua/5.1" --jobs 3
