#!/usr/bin/env python3
"""Build grammar/nginx/directives.tsv from the committed inputs in data/.

Inputs (all under tools/data/):
  debian-bookworm-commands.tsv  ngx_command_t flags read out of Debian's
                                nginx 1.22.1 binary and libnginx-mod-*.so
                                (extract_commands.py); these rows are then
                                verified by probe_nginx.py.
  reference-lib-1.1.41.tsv      @nginx/reference-lib 1.1.41 (nginx.org docs)
  crossplane-ng-0.5.10.tsv      crossplane-ng analyzer masks (fallback arity
                                for directives Debian does not ship)
  extra.tsv                     hand-written rows (upstream source / docs)
  since.tsv                     first nginx version for directives newer than
                                the Debian build (docs)

Writes ../directives.tsv and prints a summary plus a disagreement report
(ref-lib vs the Debian binary) to data/reflib-vs-debian.txt.

usage: python3 build_table.py
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
OUT = os.path.join(HERE, "..", "directives.tsv")

# ---------------------------------------------------------------- flags
ARG_BITS = [
    (0x1, "NOARGS"), (0x2, "TAKE1"), (0x4, "TAKE2"), (0x8, "TAKE3"),
    (0x10, "TAKE4"), (0x20, "TAKE5"), (0x40, "TAKE6"), (0x80, "TAKE7"),
    (0x200, "FLAG"), (0x400, "ANY"), (0x800, "1MORE"), (0x1000, "2MORE"),
]
BLOCK = 0x100
COMBOS = [  # nginx's own aliases, widest first
    (0x1E, "TAKE1234"), (0xE, "TAKE123"), (0x6, "TAKE12"), (0xA, "TAKE13"),
    (0xC, "TAKE23"),
]
CTX_BY_FAMILY = {
    "CORE": [(0x01000000, "main")],
    "EVENT": [(0x02000000, "events")],
    "HTTP": [(0x02000000, "http"), (0x04000000, "server"),
             (0x08000000, "location"), (0x10000000, "upstream"),
             (0x20000000, "sif"), (0x40000000, "lif"),
             (0x80000000, "limit_except")],
    "MAIL": [(0x02000000, "mail"), (0x04000000, "mail_server")],
    "STREAM": [(0x02000000, "stream"), (0x04000000, "stream_server"),
               (0x08000000, "stream_upstream")],
}
CONTEXT_ORDER = ["any", "main", "events", "http", "server", "location", "lif",
                 "sif", "limit_except", "upstream", "mail", "mail_server",
                 "stream", "stream_server", "stream_upstream",
                 # contexts outside the 14 the linter models (Plus / add-on
                 # blocks): kept so their directives are known
                 "mgmt", "oidc_provider", "acme_issuer"]


def args_str(mask, block):
    parts = ["BLOCK"] if block else []
    takes = mask & 0xFE
    if mask & 0x1:
        parts.append("NOARGS")
    for bits, name in COMBOS:
        if takes == bits:
            parts.append(name)
            takes = 0
    for bit, name in ARG_BITS[1:8]:
        if takes & bit:
            parts.append(name)
    for bit, name in ARG_BITS[8:]:
        if mask & bit:
            parts.append(name)
    return "|".join(parts)


def accepts(mask, n):
    """nginx's ngx_conf_handler() argument-count rule (n = args, not words)."""
    if mask & 0x400:
        return True
    if mask & 0x200:
        return n == 1
    if mask & 0x800:
        return n >= 1
    if mask & 0x1000:
        return n >= 2
    if n > 7:
        return False
    return bool(mask & (1 << n))


def decode(family, ctype):
    """(contexts list, arg mask, block) from a raw cmd->type."""
    if family == "CONF" or (ctype & 0xFF000000) == 0xFF000000:
        ctx = ["any"]
    else:
        ctx = [name for bit, name in CTX_BY_FAMILY[family] if ctype & bit]
    return ctx, ctype & 0x1EFF, bool(ctype & BLOCK)


def family_of_module(module):
    if module.startswith("ngx_stream_"):
        return "STREAM"
    if module.startswith("ngx_mail_"):
        return "MAIL"
    if module.startswith(("ngx_http_", "ndk_http", "ngx_nchan", "ngx_otel")):
        return "HTTP"
    return "CORE"


def read_tsv(name):
    rows = []
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


# ------------------------------------------------- ref-lib syntax heuristic
def tokenize(line):
    s = line.replace("*", "").replace("`", "").replace("{...}", "").strip()
    toks = []
    for chunk in s.split():
        lead = len(chunk) - len(chunk.lstrip("["))
        toks += ["["] * lead
        body = chunk[lead:]
        depth, cut = 0, len(body)
        for i, ch in enumerate(body):
            if ch == "[":
                depth += 1
            elif ch == "]":
                if depth:
                    depth -= 1
                else:
                    cut = i
                    break
        word, rest = body[:cut], body[cut:]
        if word:
            toks.append(word)
        toks += ["]"] * rest.count("]")
    return toks


def syntax_counts(syntax):
    """Possible argument counts (0..10, 10 = 10 or more) from a doc syntax."""
    total = set()
    for line in syntax.split(" ;; "):
        toks = tokenize(line)
        pos = [0]

        def seq():
            alts = [[]]
            while pos[0] < len(toks):
                t = toks[pos[0]]
                pos[0] += 1
                if t == "]":
                    break
                if t == "[":
                    alts[-1].append(("opt", seq()))
                elif t == "|":
                    alts.append([])
                elif t == "...":
                    if alts[-1]:
                        alts[-1][-1] = ("rep", alts[-1][-1])
                elif t.endswith("...") or t in ("parameters", "params", "options"):
                    alts[-1].append(("rep", ("word",)))
                else:
                    alts[-1].append(("word",))
            return alts

        total |= counts_alts(seq())
    return total


def add(a, b):
    return {min(10, x + y) for x in a for y in b}


def counts_node(n):
    kind = n[0]
    if kind == "word":
        return {1}
    if kind == "opt":
        return {0} | counts_alts(n[1])
    if kind == "alts":
        return counts_alts(n[1])
    if kind == "rep":
        base = counts_node(n[1])
        out = set(base)
        cur = set(base)
        for _ in range(10):
            cur = add(cur, base)
            out |= cur
        return out
    raise ValueError(n)


def counts_alts(alts):
    out = set()
    for seq in alts:
        c = {0}
        for n in seq:
            c = add(c, counts_node(n))
        out |= c
    return out


def mask_from_counts(counts, syntax):
    plain = syntax.replace("*", "").replace("`", "").strip()
    if plain == "on | off":
        return 0x200
    if not counts:
        return 0x1
    lo, hi = min(counts), max(counts)
    if hi >= 8 or (hi - lo >= 3 and len(counts) == hi - lo + 1):
        # open-ended, or a long run of optional parameters: nginx itself
        # nearly always declares these 1MORE/2MORE/ANY; stay permissive
        return {0: 0x400, 1: 0x800}.get(lo, 0x1000)
    mask = 0
    for n in counts:
        mask |= 1 << n
    return mask


# objects built from nginx's own source tree (or njs, documented in ref-lib);
# everything else in Debian's libnginx-mod-* set is a third-party module
NGINX_OBJECTS = {
    "nginx", "ngx_stream_module.so", "ngx_mail_module.so",
    "ngx_http_geoip_module.so", "ngx_stream_geoip_module.so",
    "ngx_http_image_filter_module.so", "ngx_http_perl_module.so",
    "ngx_http_xslt_filter_module.so", "ngx_http_js_module.so",
    "ngx_stream_js_module.so",
}


# ------------------------------------------------------------------ main
def main():
    rows = []  # dicts
    report = []

    # 1. Debian binaries -------------------------------------------------
    deb = read_tsv("debian-bookworm-commands.tsv")
    reflib = read_tsv("reference-lib-1.1.41.tsv")
    ref_by_key = {}
    for r in reflib:
        name, module, ctxs, isblock, syntax, note = (r + [""] * 6)[:6]
        fam = family_of_module(module)
        if module == "Core functionality":
            fam = "CORE"
        ref_by_key.setdefault((name, fam), []).append(r)

    # doc module name per binary module: majority vote over its directives
    votes = {}
    for obj, module, mtype, ctype, name in deb:
        fam = {"EVENT": "CORE", "CONF": "CORE"}.get(mtype, mtype)
        if obj not in NGINX_OBJECTS:
            continue  # third-party modules keep their own names
        for ref in ref_by_key.get((name, fam), []):
            if ref[1] != "Core functionality":
                v = votes.setdefault(module, {})
                v[ref[1]] = v.get(ref[1], 0) + 1
    doc_name = {m: max(v, key=lambda k: (v[k], k == m)) for m, v in votes.items()}

    deb_keys = set()
    for obj, module, mtype, ctype, name in deb:
        if obj == "ngx_rtmp_module.so" or (mtype not in CTX_BY_FAMILY and mtype != "CONF"):
            continue  # rtmp: its contexts (rtmp/server/application) are outside the model
        ctype = int(ctype, 16)
        fam = {"EVENT": "CORE", "CONF": "CORE"}.get(mtype, mtype)
        ctx, mask, block = decode(mtype, ctype)
        doc_module = doc_name.get(module, module)
        deb_keys.add((name, fam))
        rows.append(dict(name=name, ctx=ctx, mask=mask, block=block,
                         module=doc_module, since="", source="nginx-t",
                         family=fam, origin=obj))

    # 2. ref-lib rows not in the Debian build -----------------------------
    cp = {}
    for name, fam, ctxs, mask in read_tsv("crossplane-ng-0.5.10.tsv"):
        cp.setdefault((name, fam), []).append((ctxs.split(","), int(mask, 16)))
    since = {(r[0], r[1]): r[2] for r in read_tsv("since.tsv")}
    plus_modules = {
        "ngx_http_api_module", "ngx_http_auth_jwt_module", "ngx_http_f4f_module",
        "ngx_http_hls_module", "ngx_http_keyval_module",
        "ngx_http_session_log_module", "ngx_http_status_module",
        "ngx_http_upstream_conf_module", "ngx_http_upstream_hc_module",
        "ngx_mgmt_module", "ngx_stream_keyval_module",
        "ngx_stream_upstream_hc_module", "ngx_stream_zone_sync_module",
        "ngx_stream_mqtt_filter_module", "ngx_stream_mqtt_preread_module",
        "ngx_http_oidc_module", "ngx_http_internal_redirect_module",
        "ngx_http_auth_require_module", "ngx_http_num_map_module",
        "ngx_stream_num_map_module",
    }
    plus_directives = {"sticky", "least_time", "tunnel_next_upstream",
                       "proxy_cache_purge", "fastcgi_cache_purge",
                       "scgi_cache_purge", "uwsgi_cache_purge"}

    def map_ref_ctx(c, fam):
        return {
            ("http", "HTTP"): "http", ("server", "HTTP"): "server",
            ("location", "HTTP"): "location", ("upstream", "HTTP"): "upstream",
            ("if in location", "HTTP"): "lif", ("limit_except", "HTTP"): "limit_except",
            ("server", "STREAM"): "stream_server", ("stream", "STREAM"): "stream",
            ("upstream", "STREAM"): "stream_upstream", ("mail", "MAIL"): "mail",
            ("server", "MAIL"): "mail_server", ("main", "CORE"): "main",
            ("events", "CORE"): "events", ("main", "HTTP"): "main",
            ("main", "STREAM"): "main", ("main", "MAIL"): "main",
            ("mgmt", "CORE"): "mgmt",
            ("oidc_provider", "HTTP"): "oidc_provider",
            ("acme_issuer", "HTTP"): "acme_issuer",
        }.get((c, fam))

    ref_by_fam = {}
    for r in reflib:
        fam = "CORE" if r[1] == "Core functionality" else family_of_module(r[1])
        if r[2] and all(c in ("main", "events") for c in r[2].split(",")):
            fam = "CORE"
        ref_by_fam.setdefault((r[0], fam), []).append(r)
    heur_stats = {"exact": 0, "looser": 0, "stricter": 0, "mixed": 0}
    removed = {"limit_zone", "js_include"}  # documented, but gone long before 1.22 / njs 0.7.9
    for r in reflib:
        name, module, ctxs, isblock, syntax, note = (r + [""] * 6)[:6]
        if name in removed:
            continue
        fam = "CORE" if module == "Core functionality" else family_of_module(module)
        ctx = []
        for c in ctxs.split(","):
            if c == "if":
                ctx += ["sif", "lif"]
            elif c:
                if module == "Core functionality" and c not in ("main", "events"):
                    continue  # error_log: the http/mail/stream definitions are separate
                m = map_ref_ctx(c, fam)
                if m is None:
                    print("unmapped context %r for %s %s" % (c, name, module), file=sys.stderr)
                    continue
                ctx.append(m)
        ctx = [c for c in CONTEXT_ORDER if c in ctx]
        heur = mask_from_counts(syntax_counts(syntax), syntax)
        block = isblock == "block"
        if ctx and all(c in ("main", "events") for c in ctx):
            fam = "CORE"  # http/mail/stream blocks, quic_bpf, js_load_*_native_module
        cands = [x for x in rows if x["name"] == name and x["family"] == fam
                 and x["source"] == "nginx-t"]
        nrefs = len(ref_by_fam.get((name, fam), []))
        if nrefs > 1:
            drows = [x for x in cands if x["module"] == module]
        else:
            drows = [x for x in cands if x["origin"] in NGINX_OBJECTS]
        if drows:
            # compare with the Debian definition(s) of the same module
            dctx = sorted({c for x in drows for c in x["ctx"]})
            if "any" in dctx:
                continue
            missing = [c for c in ctx if c not in dctx]
            extra = [c for c in dctx if c not in ctx]
            if missing or extra:
                report.append("context\t%s\t%s\tref-lib only: %s\tnginx only: %s" % (
                    name, module, ",".join(missing) or "-", ",".join(extra) or "-"))
            dblock = any(x["block"] for x in drows)
            if dblock != block:
                report.append("block\t%s\t%s\tref-lib %s\tnginx %s" % (name, module, block, dblock))
            # heuristic arity check against the truth (reported, not used)
            truth = [any(accepts(x["mask"], n) for x in drows) for n in range(10)]
            guess = [accepts(heur, n) for n in range(10)]
            loose = any(g and not t for g, t in zip(guess, truth))
            strict = any(t and not g for g, t in zip(guess, truth))
            heur_stats["mixed" if loose and strict else "looser" if loose
                       else "stricter" if strict else "exact"] += 1
            if strict:
                report.append("arity\t%s\t%s\tdoc syntax %r suggests %s, nginx has %s" % (
                    name, module, syntax, args_str(heur, False),
                    "/".join(args_str(x["mask"], False) for x in drows)))
            continue
        plus = (module in plus_modules or note == "commercial"
                or name in plus_directives)
        src = "ref-lib"
        mask = heur
        for cctx, cmask in cp.get((name, fam), []):
            mask = cmask & 0x1EFF
            src = "ref-lib+crossplane"
            break
        if module == "Core functionality":
            module = "ngx_core_module"
        rows.append(dict(name=name, ctx=ctx, mask=mask, block=block,
                         module=("nginx_plus:" if plus else "") + module,
                         since=since.get((name, module), ""), source=src,
                         family=fam, origin="ref-lib"))

    # 3. hand-written rows -------------------------------------------------
    for r in read_tsv("extra.tsv"):
        name, ctxs, args, module, since_v, source = (r + [""] * 6)[:6]
        mask = 0
        block = False
        for a in args.split("|"):
            if a == "BLOCK":
                block = True
                continue
            for bits, nm in COMBOS:
                if nm == a:
                    mask |= bits
            for bit, nm in ARG_BITS:
                if nm == a:
                    mask |= bit
        rows.append(dict(name=name, ctx=ctxs.split(","), mask=mask, block=block,
                         module=module, since=since_v, source=source,
                         family=family_of_module(module.split(":")[-1]),
                         origin="extra"))

    # 4. write ----------------------------------------------------------------
    seen = set()
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# nginx directive table for wirelint. Generated by "
                "grammar/nginx/tools/build_table.py; see grammar/nginx/README.md.\n")
        f.write("# One row per (directive, module definition); rows are in nginx module\n"
                "# order, so the first row whose contexts allow a context is the one nginx uses.\n")
        f.write("name\tcontexts\targs\tmodule\tsince\tsource\n")
        for r in rows:
            line = "\t".join([r["name"], ",".join(r["ctx"]),
                              args_str(r["mask"], r["block"]) or "NOARGS",
                              r["module"], r["since"], r["source"]])
            if line in seen:
                continue
            seen.add(line)
            f.write(line + "\n")

    with open(os.path.join(DATA, "reflib-vs-debian.txt"), "w") as f:
        f.write("# ref-lib 1.1.41 vs ngx_command_t flags of Debian nginx 1.22.1 (+ modules).\n")
        f.write("# Generated by build_table.py. nginx wins in directives.tsv.\n")
        f.write("# heuristic arity from doc syntax vs nginx: %r\n" % heur_stats)
        for line in report:
            f.write(line + "\n")
    from collections import Counter
    print("rows:", len(seen))
    print("by source:", dict(Counter(r["source"] for r in rows)))
    print("disagreements:", dict(Counter(l.split("\t")[0] for l in report)))
    print("heuristic:", heur_stats)


if __name__ == "__main__":
    main()
