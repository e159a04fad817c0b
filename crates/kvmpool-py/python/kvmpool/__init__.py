"""kvmpool: libvirt storage pools and volumes, typed.

Everything ``virsh pool-*`` and ``virsh vol-*`` do, from Python::

    import kvmpool
    conn = kvmpool.connect("test:///default")
    pool = conn.define_pool(kvmpool.PoolSpec.dir("guest_images", target="/guest_images"))
    pool.build(); pool.start(); pool.autostart = True
    vol = pool.create_volume(kvmpool.VolumeSpec("vm1.qcow2", capacity="10G", format="qcow2"))

Errors are ``kvmpool.Error`` subclasses, one per kind (``InvalidSpecError`` is also a
``ValueError``, ``NotFoundError`` also a ``LookupError``), each with ``.kind``,
``.libvirt_code``, ``.libvirt_message`` and ``.field``.
"""

from ._kvmpool import (
    AlreadyExistsError,
    BusyError,
    CancelledError,
    ConnectError,
    Connection,
    EnsureReport,
    Error,
    EventIterator,
    InvalidSpecError,
    IoError,
    LibvirtError,
    NotFoundError,
    Pool,
    PoolCapabilities,
    PoolEvent,
    PoolInfo,
    PoolSource,
    PoolSpec,
    StateError,
    Subscription,
    TransferReport,
    UnsupportedError,
    Volume,
    VolumeInfo,
    VolumeSpec,
    __version__,
    connect,
    default_target,
    format_size,
    parse_size,
    pool_fields,
    pool_types,
)


__all__ = [
    "AlreadyExistsError",
    "BusyError",
    "CancelledError",
    "ConnectError",
    "Connection",
    "EnsureReport",
    "Error",
    "EventIterator",
    "InvalidSpecError",
    "IoError",
    "LibvirtError",
    "NotFoundError",
    "Pool",
    "PoolCapabilities",
    "PoolEvent",
    "PoolInfo",
    "PoolSource",
    "PoolSpec",
    "StateError",
    "Subscription",
    "TransferReport",
    "UnsupportedError",
    "Volume",
    "VolumeInfo",
    "VolumeSpec",
    "__version__",
    "connect",
    "default_target",
    "format_size",
    "parse_size",
    "pool_fields",
    "pool_types",
]
