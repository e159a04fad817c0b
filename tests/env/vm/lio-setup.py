#!/usr/bin/python3
"""Set up one LIO iSCSI target in kvmpool's test guest, through rtslib-fb directly
(targetcli needs a system D-Bus, which the guest does not run).

    lio-setup IQN HOST PORT [--chap USER PASSWORD] FILE...

One fileio LUN per FILE (an existing file, write-through; its size is the LUN's), in
demo mode: any initiator may log in and sees every LUN, no per-initiator ACLs. Without
--chap there is no authentication; with it, each login must pass one-way CHAP with USER
and PASSWORD (in demo mode the credentials live on the TPG, tpgt_1/auth).
"""
import os
import sys

from rtslib_fb import LUN, TPG, FabricModule, FileIOStorageObject, NetworkPortal, Target


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    iqn, host, port, rest = argv[0], argv[1], int(argv[2]), argv[3:]
    chap = None
    if rest[:1] == ["--chap"]:
        if len(rest) < 4:
            sys.exit(__doc__)
        chap, rest = (rest[1], rest[2]), rest[3:]
    if not rest:
        sys.exit(__doc__)

    tpg = TPG(Target(FabricModule("iscsi"), iqn), 1)
    tag = iqn.rsplit(":", 1)[-1]
    for n, path in enumerate(rest):
        so = FileIOStorageObject(
            "%s-lun%d" % (tag, n), path, size=os.path.getsize(path), write_back=False
        )
        LUN(tpg, n, so)
    NetworkPortal(tpg, host, port)
    for name, value in (
        ("authentication", "1" if chap else "0"),
        ("generate_node_acls", "1"),
        ("cache_dynamic_acls", "1"),
        ("demo_mode_write_protect", "0"),
    ):
        tpg.set_attribute(name, value)
    if chap:
        tpg.chap_userid, tpg.chap_password = chap
    tpg.enable = True
    print("%s on %s:%d: %d LUN(s), %s" % (iqn, host, port, len(rest), "CHAP" if chap else "no auth"))


if __name__ == "__main__":
    main(sys.argv[1:])
