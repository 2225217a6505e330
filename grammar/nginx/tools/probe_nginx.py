#!/usr/bin/env python3
"""Check directives.tsv against a real `nginx -t`.

For every directive name that has a row tagged `nginx-t` it generates tiny
configs (files under a scratch dir in /tmp) and reads nginx's *first* error:

  context probe  -- `NAME 127.0.0.1;` placed in each of the 14 contexts:
                    '"NAME" directive is not allowed here' => rejected there,
                    any other outcome (ok, a value error, an arity or
                    terminator error)                      => allowed there.
  arity probe    -- for each definition (row) and one context where it is the
                    definition nginx picks, 0..8 arguments with the right
                    terminator: 'invalid number of arguments in "NAME"'
                    => that count is rejected, anything else => accepted.
  block probe    -- the wrong terminator: 'has no opening "{"' => block,
                    'is not terminated by ";"' => not a block.

The context check, the terminator check and the argument-count check happen in
this order in ngx_conf_handler(), before the directive's own handler runs, so
value errors never hide them.  Arguments are the IP literal 127.0.0.1 (never a
DNS name).  The error must point at the probe's line, else the probe is
reported as `setup` (the skeleton itself failed).

usage: probe_nginx.py [--nginx /usr/sbin/nginx] [--modules DIR] [--jobs N]
                      [--only NAME,...] [--out data/probe-results.tsv]
Exit status 1 if any check disagrees with the table.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "directives.tsv")

ALL_CONTEXTS = ["main", "events", "http", "server", "location", "lif", "sif",
                "limit_except", "upstream", "mail", "mail_server", "stream",
                "stream_server", "stream_upstream"]

# Each skeleton has exactly one "@@" line where the probed directive goes.
# Each skeleton has exactly one "@@" line where the probed directive goes;
# whatever a block needs to be valid comes *after* it, so an error it causes
# can never be mistaken for the probe's own error (nginx stops at the first).
SKELETONS = {
    "main": "@@\nevents {}\n",
    "events": "events {\n@@\n}\n",
    "http": "events {}\nhttp {\n%LUA%\n@@\n}\n",
    "server": "events {}\nhttp {\n%LUA%\nserver {\n@@\nlisten 127.0.0.1:8080;\n}\n}\n",
    "location": "events {}\nhttp {\n%LUA%\nserver {\nlocation / {\n@@\n}\n"
                "listen 127.0.0.1:8080;\n}\n}\n",
    "lif": "events {}\nhttp {\n%LUA%\nserver {\nlocation / {\nif ($arg_x) {\n@@\n}\n}\n"
           "listen 127.0.0.1:8080;\n}\n}\n",
    "sif": "events {}\nhttp {\n%LUA%\nserver {\nif ($arg_x) {\n@@\n}\n"
           "listen 127.0.0.1:8080;\n}\n}\n",
    "limit_except": "events {}\nhttp {\n%LUA%\nserver {\nlocation / {\nlimit_except GET {\n@@\n}\n}\n"
                    "listen 127.0.0.1:8080;\n}\n}\n",
    "upstream": "events {}\nhttp {\n%LUA%\nupstream u {\n@@\nserver 127.0.0.1:9;\n}\n}\n",
    "mail": "events {}\nmail {\n@@\n}\n",
    "mail_server": "events {}\nmail {\nserver {\n@@\nlisten 127.0.0.1:2525;\nprotocol smtp;\nauth_http 127.0.0.1:9/a;\n}\n}\n",
    "stream": "events {}\nstream {\n@@\n}\n",
    "stream_server": "events {}\nstream {\nserver {\n@@\nlisten 127.0.0.1:9000;\nreturn x;\n}\n}\n",
    "stream_upstream": "events {}\nstream {\nupstream su {\n@@\nserver 127.0.0.1:9;\n}\n}\n",
}

ARG_BITS = {"NOARGS": 0x1, "TAKE1": 0x2, "TAKE2": 0x4, "TAKE3": 0x8,
            "TAKE4": 0x10, "TAKE5": 0x20, "TAKE6": 0x40, "TAKE7": 0x80,
            "TAKE12": 0x6, "TAKE13": 0xA, "TAKE23": 0xC, "TAKE123": 0xE,
            "TAKE1234": 0x1E, "FLAG": 0x200, "ANY": 0x400, "1MORE": 0x800,
            "2MORE": 0x1000}


def accepts(mask, n):
    if mask & 0x400:
        return True
    if mask & 0x200:
        return n == 1
    if mask & 0x800:
        return n >= 1
    if mask & 0x1000:
        return n >= 2
    return n <= 7 and bool(mask & (1 << n))


def load_table():
    rows = []
    with open(TABLE, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("name\t"):
                continue
            name, ctxs, args, module, since, source = line.split("\t")
            mask, block = 0, False
            for a in args.split("|"):
                if a == "BLOCK":
                    block = True
                else:
                    mask |= ARG_BITS[a]
            ctx = ctxs.split(",")
            if "any" in ctx:
                ctx = list(ALL_CONTEXTS)
            rows.append(dict(name=name, ctx=ctx, mask=mask, block=block,
                             module=module, source=source))
    return rows


def module_lines(moddir):
    if not moddir:
        return ""
    files = sorted(f for f in os.listdir(moddir) if f.endswith(".so") and "rtmp" not in f)
    first = [f for f in ("ndk_http_module.so", "ngx_stream_module.so", "ngx_mail_module.so") if f in files]
    rest = [f for f in files if f not in first]
    return "".join("load_module %s;\n" % os.path.join(moddir, f) for f in first + rest)


class Prober:
    def __init__(self, nginx, moddir, lua_path, workdir):
        self.nginx = nginx
        self.prologue = module_lines(moddir)
        self.lua = ('lua_package_path "%s/?.lua;;";' % lua_path) if lua_path else ""
        self.workdir = workdir

    def run(self, ctx, line, tag):
        body = SKELETONS[ctx].replace("%LUA%", self.lua)
        text = self.prologue + body
        lineno = text[: text.index("@@")].count("\n") + 1
        text = text.replace("@@", line)
        d = os.path.join(self.workdir, tag)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(text)
        p = subprocess.run([self.nginx, "-t", "-q", "-c", conf, "-p", d + "/",
                            "-g", "error_log stderr;"],
                           capture_output=True, text=True, timeout=60)
        err = p.stderr
        m = re.search(r"\[emerg\] \d+#\d+: (.*?) in %s:(\d+)" % re.escape(conf), err)
        if not m:
            return ("ok" if p.returncode == 0 else "other", err.strip()[:200])
        msg, at = m.group(1), int(m.group(2))
        name = re.split(r"[\s;{]", line)[0]
        q = '"%s"' % name
        if msg.startswith("unknown directive " + q):
            kind = "unknown"
        elif msg == q + " directive is not allowed here":
            kind = "not_allowed"
        elif msg.startswith("invalid number of arguments in " + q):
            kind = "bad_args"
        elif msg.startswith("directive " + q + ' has no opening "{"'):
            kind = "no_opening"
        elif msg.startswith("directive " + q + ' is not terminated by ";"'):
            kind = "not_terminated"
        else:
            kind = "value"
        if at != lineno and kind in ("not_allowed", "bad_args", "no_opening",
                                     "not_terminated", "unknown"):
            # the error is about some other line: the skeleton failed
            return ("setup", msg)
        if at < lineno:
            return ("setup", msg)
        return (kind, msg)


def first_row(rows, ctx):
    for r in rows:
        if ctx in r["ctx"]:
            return r
    return None


def probe_name(prober, name, rows, tagbase):
    """Yield result tuples for one directive name."""
    out = []
    # context probes
    for i, ctx in enumerate(ALL_CONTEXTS):
        expect = first_row(rows, ctx) is not None
        kind, msg = prober.run(ctx, "%s 127.0.0.1;" % name, tagbase)
        if kind == "setup":
            out.append((name, "context", ctx, "allowed" if expect else "rejected", "setup:" + msg, "SETUP"))
            continue
        got = kind != "not_allowed"
        if kind == "unknown":
            out.append((name, "context", ctx, "allowed" if expect else "rejected", "unknown", "UNKNOWN"))
            continue
        out.append((name, "context", ctx, "allowed" if expect else "rejected",
                    "allowed" if got else "rejected", "agree" if got == expect else "DISAGREE"))
    # arity + block probes, one context per distinct first-matching row
    done = set()
    for ctx in ALL_CONTEXTS:
        r = first_row(rows, ctx)
        if r is None or id(r) in done:
            continue
        done.add(id(r))
        term = " {}" if r["block"] else ";"
        for n in range(9):
            args = " 127.0.0.1" * n
            kind, msg = prober.run(ctx, name + args + term, tagbase)
            exp = accepts(r["mask"], n)
            if kind in ("setup", "unknown", "not_allowed"):
                out.append((name, "args@" + ctx, str(n), "ok" if exp else "rejected", kind + ":" + msg, "SETUP"))
                continue
            got = kind != "bad_args"
            out.append((name, "args@" + ctx, str(n), "ok" if exp else "rejected",
                        "ok" if got else "rejected", "agree" if got == exp else "DISAGREE"))
        # wrong terminator
        n = next((k for k in range(9) if accepts(r["mask"], k)), 1)
        wrong = ";" if r["block"] else " {}"
        kind, msg = prober.run(ctx, name + " 127.0.0.1" * n + wrong, tagbase)
        exp = "no_opening" if r["block"] else "not_terminated"
        out.append((name, "block@" + ctx, "", "block" if r["block"] else "simple",
                    kind, "agree" if kind == exp else "DISAGREE"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--modules", default="/usr/lib/nginx/modules",
                    help="directory of the dynamic modules to load (all .so but rtmp)")
    ap.add_argument("--lua-path", default="/usr/share/lua/5.1",
                    help="where resty/core.lua lives (lua-resty-core)")
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default=os.path.join(HERE, "data", "probe-results.tsv"))
    a = ap.parse_args()

    rows = [r for r in load_table() if r["source"] == "nginx-t"]
    names = []
    by_name = {}
    for r in rows:
        if r["name"] not in by_name:
            names.append(r["name"])
        by_name.setdefault(r["name"], []).append(r)
    # the first-matching rule must see every definition nginx has loaded
    if a.only:
        names = [n for n in names if n in a.only.split(",")]

    work = tempfile.mkdtemp(prefix="wirelint-probe-", dir="/tmp")
    prober = Prober(a.nginx, a.modules, a.lua_path, work)
    results = []
    with ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(probe_name, prober, n, by_name[n], "p%d" % i)
                for i, n in enumerate(names)]
        for i, f in enumerate(futs):
            results += f.result()
            if i % 100 == 0:
                print("%d/%d" % (i, len(names)), file=sys.stderr)
    with open(a.out, "w") as f:
        f.write("# probe_nginx.py results: name check context/args expected observed verdict\n")
        for r in results:
            f.write("\t".join(x.replace("\t", " ").replace("\n", " ") for x in r) + "\n")
    from collections import Counter
    c = Counter(r[5] for r in results)
    print("checks:", len(results), dict(c))
    print("by kind:", dict(Counter((r[1].split("@")[0], r[5]) for r in results)))
    bad = [r for r in results if r[5] != "agree"]
    for r in bad[:60]:
        print("\t".join(r))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
