#!/usr/bin/env python3
"""Read nginx's own directive tables (ngx_command_t arrays) out of an nginx
binary and dynamic-module .so files.

For every module listed in the object's exported `ngx_modules` /
`ngx_module_names` arrays it follows `ngx_module_t.commands` and prints one JSON
line per command: {"object", "module", "module_type", "index", "name", "type"}.
`type` is the raw cmd->type bitmask (context bits | argument bits), exactly
what ngx_conf_handler() checks.  Only x86-64 ELF (PIE / shared objects) is
supported; pointers stored in data are resolved through R_X86_64_RELATIVE and
R_X86_64_64 relocations.

Needs pyelftools (`pip install pyelftools`).  Not used at build time.

usage: extract_commands.py /usr/sbin/nginx /usr/lib/nginx/modules/*.so > commands.jsonl
"""
import json
import struct
import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

R_X86_64_64 = 1
R_X86_64_RELATIVE = 8

MODULE_TYPES = {
    0x45524F43: "CORE",
    0x464E4F43: "CONF",
    0x544E5645: "EVENT",
    0x50545448: "HTTP",
    0x4C49414D: "MAIL",
    0x4D525453: "STREAM",
}


class Image:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        self.elf = ELFFile(self.f)
        self.loads = [s for s in self.elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        self.syms = {}
        for secname in (".dynsym", ".symtab"):
            sec = self.elf.get_section_by_name(secname)
            if sec is None:
                continue
            for s in sec.iter_symbols():
                if s.name and s["st_shndx"] != "SHN_UNDEF":
                    self.syms.setdefault(s.name, s["st_value"])
        self.relocs = {}
        for sec in self.elf.iter_sections():
            if not isinstance(sec, RelocationSection):
                continue
            symtab = self.elf.get_section(sec["sh_link"]) if sec["sh_link"] else None
            for r in sec.iter_relocations():
                t = r["r_info_type"]
                if t == R_X86_64_RELATIVE:
                    self.relocs[r["r_offset"]] = r["r_addend"]
                elif t == R_X86_64_64 and symtab is not None:
                    sym = symtab.get_symbol(r["r_info_sym"])
                    if sym["st_shndx"] != "SHN_UNDEF":
                        self.relocs[r["r_offset"]] = sym["st_value"] + r["r_addend"]
                    else:
                        self.relocs[r["r_offset"]] = None  # external symbol

    def read(self, addr, n):
        for seg in self.loads:
            if seg["p_vaddr"] <= addr < seg["p_vaddr"] + seg["p_memsz"]:
                off = addr - seg["p_vaddr"]
                if off + n > seg["p_filesz"]:
                    return b"\0" * n  # .bss
                self.f.seek(seg["p_offset"] + off)
                return self.f.read(n)
        raise ValueError("address %#x not mapped in %s" % (addr, self.path))

    def word(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def ptr(self, addr):
        if addr in self.relocs:
            return self.relocs[addr]
        return self.word(addr)

    def cstr(self, addr, n=None):
        if n is not None:
            return self.read(addr, n).decode()
        out = b""
        while True:
            c = self.read(addr + len(out), 1)
            if c == b"\0":
                return out.decode()
            out += c


def extract(path):
    img = Image(path)
    mods = img.syms["ngx_modules"]
    names = img.syms["ngx_module_names"]
    i = 0
    while True:
        maddr = img.ptr(mods + 8 * i)
        if not maddr:
            break
        mname = img.cstr(img.ptr(names + 8 * i))
        # ngx_module_t: ctx_index, index, name, spare0, spare1, version,
        # signature, ctx, commands, type, ...
        version = img.word(maddr + 40)
        cmds = img.ptr(maddr + 64)
        mtype = img.word(maddr + 72)
        j = 0
        while cmds:
            base = cmds + 56 * j  # ngx_command_t is 7 words
            nlen = img.word(base)
            if nlen == 0:
                break
            name = img.cstr(img.ptr(base + 8), nlen)
            ctype = img.word(base + 16)
            yield {
                "object": path,
                "module": mname,
                "module_type": MODULE_TYPES.get(mtype, hex(mtype)),
                "module_version": version,
                "module_index": i,
                "index": j,
                "name": name,
                "type": ctype,
            }
            j += 1
        i += 1


def main():
    for path in sys.argv[1:]:
        for rec in extract(path):
            print(json.dumps(rec))


if __name__ == "__main__":
    main()
