"""Regenerates archives/ (committed): python3 make_archives.py. Each archive holds a valid main.py too."""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent / "archives"
MAIN = b'print("hello os")\n'


def _tar(name: str, members: list[tarfile.TarInfo], data: dict[str, bytes], mode: str = "w") -> None:
    with tarfile.open(HERE / name, mode, format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo("main.py")
        info.size = len(MAIN)
        tf.addfile(info, io.BytesIO(MAIN))
        for member in members:
            tf.addfile(member, io.BytesIO(data.get(member.name, b"")) if member.isfile() else None)


def _info(name: str, kind: bytes, **kw: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for k, v in kw.items():
        setattr(info, k, v)
    return info


def _zip(name: str, entries: list[tuple[zipfile.ZipInfo, bytes]]) -> None:
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("main.py", MAIN)
        for info, payload in entries:
            zf.writestr(info, payload)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    evil = b'print("escaped")\n'
    _tar("symlink.tar", [_info("passwd", tarfile.SYMTYPE, linkname="/etc/passwd")], {})
    _tar("symlink-dir.tar", [_info("up", tarfile.SYMTYPE, linkname="../../.."),
                             _info("up/evil.py", tarfile.REGTYPE, size=len(evil))], {"up/evil.py": evil})
    _tar("hardlink.tar", [_info("passwd", tarfile.LNKTYPE, linkname="/etc/passwd")], {})
    _tar("device.tar", [_info("sda", tarfile.BLKTYPE, devmajor=8, devminor=0),
                        _info("null", tarfile.CHRTYPE, devmajor=1, devminor=3)], {})
    _tar("fifo.tar", [_info("pipe", tarfile.FIFOTYPE)], {})
    _tar("dotdot.tar", [_info("../../hostile-escaped.py", tarfile.REGTYPE, size=len(evil))],
         {"../../hostile-escaped.py": evil})
    _tar("absolute.tar", [_info("/tmp/hostile-escaped.py", tarfile.REGTYPE, size=len(evil))],
         {"/tmp/hostile-escaped.py": evil})
    # 200 MiB of zeros in one member: about 200 KiB compressed.
    with tarfile.open(HERE / "bomb.tar.gz", "w:gz", compresslevel=9) as tf:
        info = tarfile.TarInfo("main.py")
        info.size = len(MAIN)
        tf.addfile(info, io.BytesIO(MAIN))
        info = tarfile.TarInfo("zeros.bin")
        info.size = 200 * 2**20

        class Zeros(io.RawIOBase):
            def __init__(self, n: int) -> None:
                self.left = n

            def read(self, size: int = -1) -> bytes:
                size = self.left if size < 0 else min(size, self.left)
                self.left -= size
                return bytes(size)

        tf.addfile(info, Zeros(info.size))
    link = zipfile.ZipInfo("passwd")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _zip("symlink.zip", [(link, b"/etc/passwd")])
    _zip("dotdot.zip", [(zipfile.ZipInfo("../../hostile-escaped.py"), evil)])
    _zip("absolute.zip", [(zipfile.ZipInfo("/tmp/hostile-escaped.py"), evil)])
    dev = zipfile.ZipInfo("null")
    dev.create_system = 3
    dev.external_attr = (stat.S_IFCHR | 0o666) << 16
    _zip("device.zip", [(dev, b"")])
    bomb = zipfile.ZipInfo("zeros.bin")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    _zip("bomb.zip", [(bomb, bytes(200 * 2**20))])
    # A bomb whose declared sizes lie: the header says 10 bytes, the stream inflates to 100 MiB.
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("main.py", MAIN)
        zf.writestr("zeros.bin", bytes(100 * 2**20))
    raw = bytearray(liar.getvalue())
    size = (100 * 2**20).to_bytes(4, "little")
    small = (10).to_bytes(4, "little")
    at = 0
    while (at := raw.find(size, at)) != -1:
        raw[at:at + 4] = small
        at += 4
    (HERE / "lying-bomb.zip").write_bytes(bytes(raw))
    many = io.BytesIO()
    with tarfile.open(fileobj=many, mode="w") as tf:
        for i in range(5000):
            info = tarfile.TarInfo(f"d/f{i}")
            tf.addfile(info, io.BytesIO(b""))
    (HERE / "many-files.tar.gz").write_bytes(gzip.compress(many.getvalue(), 9))


if __name__ == "__main__":
    main()
