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

kvmpool logs to the ``logging`` logger ``"kvmpool"``: each change it makes to a host at
INFO (``pool guest_images: started``), each libvirt call with its outcome and time at
DEBUG. The logger's level is read when a connection or a fleet opens; after changing it
later, call ``kvmpool.refresh_log_levels()``.
"""

from ._kvmpool import (
    Action,
    AlreadyExistsError,
    ApplyOutcome,
    ApplyReport,
    BusyError,
    CancelledError,
    ConnectError,
    Connection,
    DriftCell,
    DriftMatrix,
    EnsureReport,
    Error,
    EventIterator,
    ExportReport,
    FieldDifference,
    Fleet,
    FleetHost,
    FleetResult,
    HostResult,
    InvalidSpecError,
    IoError,
    LibvirtError,
    Manifest,
    MigrationCheck,
    NotFoundError,
    Plan,
    Pool,
    PoolCapabilities,
    PoolEvent,
    PoolInfo,
    PoolSource,
    PoolSpec,
    SharedPool,
    SharedSource,
    SharedStorage,
    SharedVolume,
    StateError,
    Subscription,
    TransferReport,
    UnsupportedError,
    Volume,
    VolumeInfo,
    VolumeSighting,
    VolumeSpec,
    __version__,
    connect,
    default_target,
    format_size,
    parse_size,
    pool_fields,
    pool_types,
    refresh_log_levels,
    volume_fields,
)



__all__ = [
    "Action",
    "AlreadyExistsError",
    "ApplyOutcome",
    "ApplyReport",
    "BusyError",
    "CancelledError",
    "ConnectError",
    "Connection",
    "DriftCell",
    "DriftMatrix",
    "EnsureReport",
    "Error",
    "EventIterator",
    "ExportReport",
    "FieldDifference",
    "Fleet",
    "FleetHost",
    "FleetResult",
    "HostResult",
    "InvalidSpecError",
    "IoError",
    "LibvirtError",
    "Manifest",
    "MigrationCheck",
    "NotFoundError",
    "Plan",
    "Pool",
    "PoolCapabilities",
    "PoolEvent",
    "PoolInfo",
    "PoolSource",
    "PoolSpec",
    "SharedPool",
    "SharedSource",
    "SharedStorage",
    "SharedVolume",
    "StateError",
    "Subscription",
    "TransferReport",
    "UnsupportedError",
    "Volume",
    "VolumeInfo",
    "VolumeSighting",
    "VolumeSpec",
    "__version__",
    "connect",
    "default_target",
    "format_size",
    "parse_size",
    "pool_fields",
    "pool_types",
    "refresh_log_levels",
    "volume_fields",
]


def _make_constructor(pool_type: str) -> "staticmethod[..., PoolSpec]":
    """``PoolSpec.<type>(...)``: its parameters are the core's field table for the type
    (required and positional fields first, the rest keyword-only), so every keyword a
    manifest or a C setter knows is here, and nothing else."""
    import inspect

    P = inspect.Parameter
    params = []
    for name, required, positional in pool_fields(pool_type):
        kind = P.POSITIONAL_OR_KEYWORD if positional else P.KEYWORD_ONLY
        params.append(P(name, kind, default=P.empty if required else None))
    signature = inspect.Signature(params)

    def make(*args: object, **kwargs: object) -> PoolSpec:
        given = signature.bind(*args, **kwargs).arguments
        return PoolSpec._build(pool_type, given)

    make.__name__ = make.__qualname__ = pool_type.replace("-", "_")
    make.__signature__ = signature  # type: ignore[attr-defined]
    make.__doc__ = f"A {pool_type} pool spec; bad input raises InvalidSpecError."
    return staticmethod(make)


for _type in pool_types():
    setattr(PoolSpec, _type.replace("-", "_"), _make_constructor(_type))
del _type
