#!/usr/bin/env python3
"""Mark libLibTorchSharp.so's need for GLIBCXX_3.4.32 weak, in place, on a build's own output copy.

TorchSharp-cpu 0.107.0 ships a libLibTorchSharp.so that asks for GLIBCXX_3.4.32 for one symbol,
_ZSt21ios_base_library_initv, which it references and never calls. A host whose libstdc++ stops
before 3.4.32 (Debian 12: 3.4.30) refuses to load it. Setting VER_FLG_WEAK (0x2) in that version
need's Vernaux entry turns the hard failure into a tolerated missing version.

The ELF file is parsed (section headers -> SHT_GNU_verneed -> Verneed/Vernaux, names from the
linked string table), never byte-searched. The file is rewritten through a temporary file and a
rename so a hard link into the NuGet cache is never modified. Running it twice changes nothing.

usage: patch-libtorchsharp.py [--if-host-lacks] [--version GLIBCXX_3.4.32] FILE...
  --if-host-lacks  do nothing when the host's libstdc++.so.6 defines the version already
exit 0 on success (patched, already patched, or nothing to do), 1 on a malformed file.
"""
import os
import struct
import subprocess
import sys
import tempfile

SHT_GNU_VERDEF = 0x6FFFFFFD
SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


class ElfError(Exception):
    pass


def _sections(data):
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ElfError("only 64-bit little-endian ELF is supported")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if e_shoff == 0 or e_shnum == 0:
        raise ElfError("no section headers")
    sections = []
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        (name, typ, _flags, _addr, offset, size, link, info, _align, _entsize) = struct.unpack_from(
            "<IIQQQQIIQQ", data, off)
        sections.append(dict(index=i, header=off, name=name, type=typ, offset=offset, size=size,
                             link=link, info=info))
    return sections


def _cstr(data, section, offset):
    start = section["offset"] + offset
    if offset >= section["size"]:
        raise ElfError("string offset outside its table")
    end = data.index(b"\x00", start)
    return data[start:end].decode("ascii", "replace")


def version_needs(data):
    """Yields (file, version name, byte offset of vna_flags, vna_flags) for every Vernaux entry."""
    sections = _sections(data)
    for sec in sections:
        if sec["type"] != SHT_GNU_VERNEED:
            continue
        strtab = sections[sec["link"]]
        pos = sec["offset"]
        for _ in range(sec["info"]):
            vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, pos)
            if vn_version != 1:
                raise ElfError(f"unknown Verneed version {vn_version}")
            lib = _cstr(data, strtab, vn_file)
            aux = pos + vn_aux
            for _ in range(vn_cnt):
                _hash, flags, _other, name, next_aux = struct.unpack_from("<IHHII", data, aux)
                yield lib, _cstr(data, strtab, name), aux + 4, flags
                if next_aux == 0:
                    break
                aux += next_aux
            if vn_next == 0:
                break
            pos += vn_next


def version_definitions(data):
    sections = _sections(data)
    for sec in sections:
        if sec["type"] != SHT_GNU_VERDEF:
            continue
        strtab = sections[sec["link"]]
        pos = sec["offset"]
        for _ in range(sec["info"]):
            _ver, _flags, _ndx, vd_cnt, _hash, vd_aux, vd_next = struct.unpack_from("<HHHHIII", data, pos)
            if vd_cnt > 0:
                vda_name, = struct.unpack_from("<I", data, pos + vd_aux)
                yield _cstr(data, strtab, vda_name)
            if vd_next == 0:
                break
            pos += vd_next


def host_libstdcxx():
    candidates = []
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
        except OSError:
            continue
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("libstdc++.so.6 ") and "=>" in line and ("x86-64" in line or "AArch64" in line):
                candidates.append(line.split("=>", 1)[1].strip())
        break
    candidates += ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
                   "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/libstdc++.so.6"]
    for path in candidates:
        if os.path.exists(path):
            return os.path.realpath(path)
    return None


def host_has(version):
    path = host_libstdcxx()
    if path is None:
        return False  # cannot tell: patching is harmless, so patch
    with open(path, "rb") as f:
        return version in set(version_definitions(f.read()))


def patch(path, version):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    hits = [(lib, flags_at, flags) for lib, name, flags_at, flags in version_needs(data) if name == version]
    if not hits:
        print(f"patch-libtorchsharp: {path}: needs no {version}, left alone")
        return
    if all(flags & VER_FLG_WEAK for _, _, flags in hits):
        print(f"patch-libtorchsharp: {path}: {version} already weak")
        return
    for _lib, flags_at, flags in hits:
        struct.pack_into("<H", data, flags_at, flags | VER_FLG_WEAK)
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".patch-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # a new inode: a hard link to the package cache keeps the original
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print(f"patch-libtorchsharp: {path}: marked {version} weak")


def main(argv):
    version = "GLIBCXX_3.4.32"
    if_host_lacks = False
    files = []
    args = iter(argv)
    for arg in args:
        if arg == "--if-host-lacks":
            if_host_lacks = True
        elif arg == "--version":
            version = next(args)
        else:
            files.append(arg)
    if if_host_lacks and host_has(version):
        print(f"patch-libtorchsharp: host libstdc++ defines {version}; nothing to patch")
        return 0
    status = 0
    for path in files:
        try:
            patch(path, version)
        except (ElfError, struct.error, ValueError) as e:
            print(f"patch-libtorchsharp: {path}: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
