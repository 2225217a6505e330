#!/usr/bin/env python3
"""Dump crossplane-ng's analyzer table (Apache-2.0) as data/crossplane-ng-0.5.10.tsv.

usage: pip download --no-deps crossplane-ng==0.5.10 -d /tmp/cp && unzip the wheel,
       then: python3 extract_crossplane.py /tmp/cp/unzipped > data/crossplane-ng-0.5.10.tsv
Columns: name family contexts arg-mask(hex, nginx bit values)
"""
import sys

sys.path.insert(0, sys.argv[1])
from crossplane import analyzer as A  # noqa: E402

CTX = [
    (A.NGX_MAIN_CONF, "CORE", "main"), (A.NGX_EVENT_CONF, "CORE", "events"),
    (A.NGX_MAIL_MAIN_CONF, "MAIL", "mail"), (A.NGX_MAIL_SRV_CONF, "MAIL", "mail_server"),
    (A.NGX_STREAM_MAIN_CONF, "STREAM", "stream"), (A.NGX_STREAM_SRV_CONF, "STREAM", "stream_server"),
    (A.NGX_STREAM_UPS_CONF, "STREAM", "stream_upstream"), (A.NGX_HTTP_MAIN_CONF, "HTTP", "http"),
    (A.NGX_HTTP_SRV_CONF, "HTTP", "server"), (A.NGX_HTTP_LOC_CONF, "HTTP", "location"),
    (A.NGX_HTTP_UPS_CONF, "HTTP", "upstream"), (A.NGX_HTTP_SIF_CONF, "HTTP", "sif"),
    (A.NGX_HTTP_LIF_CONF, "HTTP", "lif"), (A.NGX_HTTP_LMT_CONF, "HTTP", "limit_except"),
]
print("# crossplane-ng 0.5.10 analyzer.DIRECTIVES: name family contexts argmask")
for name, masks in sorted(A.DIRECTIVES.items()):
    for m in masks:
        fams = {}
        for bit, fam, c in CTX:
            if m["ctx"] & bit:
                fams.setdefault(fam, []).append(c)
        if m["ctx"] == A.NGX_ANY_CONF:
            fams = {"CORE": ["any"]}
        for fam, cs in fams.items():
            print("%s\t%s\t%s\t%#x" % (name, fam, ",".join(cs), m["arg"]))
