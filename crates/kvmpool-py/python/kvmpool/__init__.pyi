"""Type stubs for kvmpool (checked against the built module with mypy.stubtest)."""

import os
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Literal, Optional, Union, final

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

__version__: str

_PoolTypeName = Literal[
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi",
    "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage",
]
_BuildMode = Literal["normal", "overwrite", "no-overwrite"]
_DeleteMode = Literal["normal", "zeroed"]
_WipeAlgorithm = Literal[
    "zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33",
    "random", "trim",
]
_InventoryMethod = Literal["auto", "rpc", "local"]
_PoolState = Literal["inactive", "building", "running", "degraded", "inaccessible"]
_VolumeType = Literal["file", "block", "dir", "network", "netdir", "ploop"]
_EventKind = Literal["defined", "undefined", "started", "stopped", "created", "deleted", "refreshed"]
_ErrorKindName = Literal[
    "InvalidSpec", "NotFound", "AlreadyExists", "State", "Busy", "Unsupported",
    "Connect", "Cancelled", "Io", "Libvirt",
]
_SizeArg = Union[int, str]
"""Bytes, or a string with libvirt's units: "10G", "512MiB", "1.5 TB"."""
_PathArg = Union[str, os.PathLike[str]]
_Progress = Callable[[int, int], Optional[bool]]
_TransferMethod = Literal["auto", "stream", "direct"]
"""Called with (done, total) bytes; raising (or returning False) cancels."""

class Error(Exception):
    """Base class of kvmpool's errors. The attributes are class-level defaults, so
    every instance has them (also one made with ``kvmpool.NotFoundError("x")``):
    ``kind`` is fixed per class (``"Libvirt"``, anything else, on this base class);
    ``libvirt_code``, ``libvirt_message`` and ``field`` are None unless the failure
    had them."""
    kind: _ErrorKindName
    libvirt_code: Optional[int]
    libvirt_message: Optional[str]
    field: Optional[str]

class InvalidSpecError(Error, ValueError):
    kind: Literal["InvalidSpec"]
class NotFoundError(Error, LookupError):
    kind: Literal["NotFound"]
class AlreadyExistsError(Error):
    kind: Literal["AlreadyExists"]
class StateError(Error):
    kind: Literal["State"]
class BusyError(Error):
    kind: Literal["Busy"]
class UnsupportedError(Error):
    kind: Literal["Unsupported"]
class ConnectError(Error):
    kind: Literal["Connect"]
class CancelledError(Error):
    kind: Literal["Cancelled"]
class IoError(Error, OSError):
    kind: Literal["Io"]
class LibvirtError(Error):
    kind: Literal["Libvirt"]

def connect(uri: Optional[str] = None, *, read_only: bool = False) -> Connection:
    """Open a connection (libvirt's default URI when None)."""

def parse_size(text: str) -> int:
    """Bytes of a size with libvirt's units."""

def format_size(bytes: int) -> str:
    """Bytes in binary units, like virsh: "10 GiB"."""

def refresh_log_levels() -> None:
    """Read the level of the "kvmpool" logger again (read when a connection or fleet
    opens, and cached: a message nobody wants costs nothing)."""

def default_target(pool_type: str, name: str) -> Optional[str]:
    """The target path virt-install uses for a new pool."""

def pool_fields(pool_type: str) -> list[tuple[str, bool, bool]]:
    """The fields of a pool type (its constructor's keywords): name, required, positional."""
def volume_fields() -> list[str]:
    """The keywords VolumeSpec takes besides name and capacity."""
def pool_types() -> list[str]:
    """The pool types kvmpool knows."""

@final
class PoolInfo:
    """pool-info: state and sizes in bytes."""
    @property
    def state(self) -> _PoolState: ...
    @property
    def capacity(self) -> int: ...
    @property
    def allocation(self) -> int: ...
    @property
    def available(self) -> int: ...

@final
class VolumeInfo:
    """vol-info: type and sizes in bytes."""
    @property
    def volume_type(self) -> _VolumeType: ...
    @property
    def capacity(self) -> int: ...
    @property
    def allocation(self) -> int: ...

@final
class TransferReport:
    """What an upload or download moved."""
    @property
    def data_bytes(self) -> int: ...
    @property
    def hole_bytes(self) -> int: ...
    @property
    def method(self) -> Literal["stream", "direct"]:
        """How the bytes moved."""

@final
class ExportReport:
    """What Volume.export wrote."""
    @property
    def format(self) -> str: ...
    @property
    def converted(self) -> bool: ...
    @property
    def bytes(self) -> int: ...
    @property
    def data_bytes(self) -> int: ...
    @property
    def hole_bytes(self) -> int: ...
    @property
    def checksums(self) -> dict[str, str]: ...

_FieldValue = Union[str, int, bool, Sequence[str], Sequence[tuple[str, str]], None]

@final
class PoolSpec:
    """A storage pool definition, one constructor per pool type. The keywords of each
    constructor are the fields of the type (``pool_fields(type)``); bad input raises
    InvalidSpecError at construction."""
    @staticmethod
    def dir(
        name: str, target: Optional[str] = None, *, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None, cow: Optional[bool] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def fs(
        name: str, source_dev: str, target: Optional[str] = None, format: Optional[str] = None, *,
        uuid: Optional[str] = None, mode: Optional[int] = None, owner: Optional[int] = None,
        group: Optional[int] = None, label: Optional[str] = None,
        mount_options: Optional[Sequence[str]] = None, cow: Optional[bool] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def netfs(
        name: str, host: str, source_path: str, target: Optional[str] = None,
        format: Optional[str] = None, *, port: Optional[int] = None,
        protocol_version: Optional[str] = None, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None, mount_options: Optional[Sequence[str]] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def logical(
        name: str, vg: Optional[str] = None, devices: Optional[Sequence[str]] = None,
        target: Optional[str] = None, format: Optional[str] = None, *, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def disk(
        name: str, device: str, format: Optional[str] = None, target: Optional[str] = None, *,
        part_separator: Optional[bool] = None, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def iscsi(
        name: str, host: str, iqn: str, target: Optional[str] = None, *,
        port: Optional[int] = None, initiator: Optional[str] = None,
        vendor: Optional[str] = None, product: Optional[str] = None,
        auth_type: Optional[Literal["chap"]] = None,
        auth_username: Optional[str] = None, auth_secret_uuid: Optional[str] = None,
        auth_secret_usage: Optional[str] = None, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def iscsi_direct(
        name: str, host: str, iqn: str, initiator: str, *, port: Optional[int] = None,
        auth_type: Optional[Literal["chap"]] = None,
        auth_username: Optional[str] = None, auth_secret_uuid: Optional[str] = None,
        auth_secret_usage: Optional[str] = None, uuid: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def scsi(
        name: str, adapter: str, target: Optional[str] = None, *, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def mpath(
        name: str, target: Optional[str] = None, *, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def rbd(
        name: str, hosts: Sequence[str], source_name: str, *, port: Optional[int] = None,
        auth_type: Optional[Literal["ceph"]] = None,
        auth_username: Optional[str] = None, auth_secret_uuid: Optional[str] = None,
        auth_secret_usage: Optional[str] = None,
        config_options: Optional[Sequence[tuple[str, str]]] = None,
        refresh_allocation: Optional[Literal["default", "capacity"]] = None,
        uuid: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def sheepdog(
        name: str, host: str, *, port: Optional[int] = None, source_name: Optional[str] = None,
        uuid: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def gluster(
        name: str, host: str, volume: str, *, dir: Optional[str] = None, port: Optional[int] = None,
        uuid: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def zfs(
        name: str, zpool: Optional[str] = None, devices: Optional[Sequence[str]] = None, *,
        uuid: Optional[str] = None, mode: Optional[int] = None, owner: Optional[int] = None,
        group: Optional[int] = None, label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def vstorage(
        name: str, cluster: str, target: str, *, uuid: Optional[str] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None,
    ) -> PoolSpec: ...
    @staticmethod
    def from_xml(xml: str) -> PoolSpec:
        """Parse libvirt pool XML."""
    def to_xml(self) -> str:
        """The pool XML."""
    def validate(self) -> None:
        """Raise InvalidSpecError naming the field at fault."""
    def satisfied_by(self, current: PoolSpec) -> bool: ...
    def same_definition(self, other: PoolSpec) -> bool: ...
    def replace(self, **changes: _FieldValue) -> PoolSpec:
        """A copy with some fields changed (the constructor's keywords)."""
    @property
    def fields(self) -> dict[str, Any]:
        """The fields the spec sets, by keyword."""
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> _PoolTypeName: ...
    @property
    def uuid(self) -> Optional[str]: ...
    @property
    def target_path(self) -> Optional[str]: ...

@final
class VolumeSpec:
    """A storage volume definition; bad input raises InvalidSpecError at construction."""
    def __new__(
        cls, name: str, capacity: _SizeArg, *, format: Optional[str] = None,
        allocation: Optional[_SizeArg] = None,
        preallocation: Optional[Literal["sparse", "metadata", "full"]] = None,
        sparse_lv: Optional[_SizeArg] = None,
        mode: Optional[int] = None, owner: Optional[int] = None, group: Optional[int] = None,
        label: Optional[str] = None, backing_store: Optional[str] = None,
        backing_format: Optional[str] = None, compat: Optional[str] = None,
        features: Optional[Sequence[str]] = None, nocow: Optional[bool] = None,
        cluster_size: Optional[_SizeArg] = None, luks_secret: Optional[str] = None,
    ) -> VolumeSpec: ...
    @staticmethod
    def from_xml(xml: str) -> VolumeSpec: ...
    def to_xml(self) -> str: ...
    def to_xml_in(self, pool_type: str) -> str: ...
    def validate(self) -> None: ...
    def replace(self, **changes: _FieldValue) -> VolumeSpec:
        """A copy with some fields changed (the constructor's keywords)."""
    @property
    def fields(self) -> dict[str, Any]:
        """The fields the spec sets, by keyword."""
    @property
    def name(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def allocation(self) -> Optional[int]: ...
    @property
    def format(self) -> Optional[str]: ...
    @property
    def key(self) -> Optional[str]: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def backing_store(self) -> Optional[str]: ...

@final
class Volume:
    """A storage volume. Safe to share between threads."""
    @property
    def name(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def path(self) -> str: ...
    def pool(self) -> Pool: ...
    def info(self) -> VolumeInfo: ...
    def physical(self) -> int: ...
    def xml(self) -> str: ...
    def spec(self) -> VolumeSpec: ...
    def clone(self, name: str, *, reflink: bool = False) -> Volume: ...
    def resize(
        self, capacity: _SizeArg, *, delta: bool = False, shrink: bool = False,
        allocate: bool = False,
    ) -> None: ...
    def wipe(self, algorithm: _WipeAlgorithm = "zero") -> None: ...
    def delete(self, mode: _DeleteMode = "normal") -> None: ...
    def upload(
        self, path: _PathArg, *, sparse: bool = False, offset: int = 0,
        length: Optional[int] = None, progress: Optional[_Progress] = None,
        method: _TransferMethod = "auto",
    ) -> TransferReport:
        """``vol-upload``. Ctrl-C (or any signal handler that raises) cancels it, with
        or without ``progress``, and the exception propagates. ``method``: "direct" copies the
        bytes here when the daemon is on this machine (refused with UnsupportedError
        otherwise), "stream" goes through libvirt, "auto" takes the direct way when it
        can."""
    def download(
        self, path: _PathArg, *, sparse: bool = False, offset: int = 0,
        length: Optional[int] = None, progress: Optional[_Progress] = None,
        method: _TransferMethod = "auto",
    ) -> TransferReport:
        """``vol-download``; the file is replaced only when complete. Ctrl-C cancels it
        as in ``upload``. ``method``: "direct" copies the
        bytes here when the daemon is on this machine (refused with UnsupportedError
        otherwise), "stream" goes through libvirt, "auto" takes the direct way when it
        can."""
    def export(
        self, path: _PathArg, *, format: Optional[str] = None, sparse: bool = True,
        checksum: Optional[Literal["sha256", "sha512"]] = None, sha256: Optional[str] = None,
        sha512: Optional[str] = None, overwrite: bool = False,
        progress: Optional[_Progress] = None,
    ) -> ExportReport: ...

@final
class Pool:
    """A storage pool. Safe to share between threads."""
    @property
    def name(self) -> str: ...
    @property
    def uuid(self) -> str: ...
    @property
    def autostart(self) -> bool: ...
    @autostart.setter
    def autostart(self, on: bool) -> None: ...
    @property
    def type(self) -> _PoolTypeName: ...
    def info(self) -> PoolInfo: ...
    def is_active(self) -> bool: ...
    def is_persistent(self) -> bool: ...
    def build(self, mode: _BuildMode = "normal") -> None: ...
    def start(self, build: Optional[_BuildMode] = None) -> None: ...
    def destroy(self) -> None: ...
    def delete(self, mode: _DeleteMode = "normal") -> None: ...
    def undefine(self) -> None: ...
    def refresh(self) -> None: ...
    def xml(self) -> str: ...
    def xml_inactive(self) -> str: ...
    def spec(self) -> PoolSpec: ...
    def persistent_spec(self) -> PoolSpec: ...
    def edit(self, spec: PoolSpec) -> None: ...
    def volumes(self) -> list[Volume]: ...
    def volume_details(
        self, *, formats: bool = False, method: _InventoryMethod = "auto",
    ) -> list[dict[str, Any]]:
        """vol-list --details as dicts. method: "auto" reads the files of a local
        daemon's dir/fs/netfs pools in this process (libvirt for the rest), "rpc" asks
        libvirt for each volume, "local" reads files only (UnsupportedError where it
        cannot)."""
    def volume_names(self) -> list[str]: ...
    def volume(self, name: str) -> Volume: ...
    def find_volume(self, name: str) -> Optional[Volume]: ...
    def create_volume(self, spec: VolumeSpec) -> Volume: ...
    def create_volume_xml(self, xml: str) -> Volume: ...
    def create_volume_from(self, spec: VolumeSpec, source: Volume) -> Volume: ...
    def create_volume_from_file(
        self, spec: VolumeSpec, path: _PathArg, *, sparse: bool = False,
        progress: Optional[_Progress] = None, method: _TransferMethod = "auto",
    ) -> tuple[Volume, TransferReport]:
        """Create a volume and upload the file into it; removed again if anything
        fails, also when Ctrl-C (KeyboardInterrupt, raised afterwards) stops it."""
    def import_image(
        self, source: str, *, name: Optional[str] = None, format: Optional[str] = None,
        capacity: Optional[_SizeArg] = None, sha256: Optional[str] = None,
        sha512: Optional[str] = None, sparse: bool = True,
        progress: Optional[_Progress] = None, overwrite: bool = False,
        allow_backing: Optional[str] = None, convert_to: Optional[str] = None,
        temp_dir: Optional[_PathArg] = None, timeout: Optional[int] = None,
    ) -> Volume: ...

@final
class EnsureReport:
    """What ensure_pool did."""
    @property
    def pool(self) -> Pool: ...
    @property
    def actions(self) -> list[str]: ...
    @property
    def changed(self) -> bool: ...

@final
class PoolSource:
    """A pool source libvirt found."""
    @property
    def type(self) -> _PoolTypeName: ...
    @property
    def hosts(self) -> list[str]: ...
    @property
    def devices(self) -> list[str]: ...
    @property
    def dir(self) -> Optional[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def format(self) -> Optional[str]: ...
    @property
    def initiator(self) -> Optional[str]: ...
    def to_spec(self, name: str, target: Optional[str] = None) -> PoolSpec: ...

@final
class PoolCapabilities:
    """pool-capabilities."""
    @property
    def types(self) -> list[str]: ...
    def supported(self, pool_type: str) -> bool: ...
    def pool_formats(self, pool_type: str) -> list[str]: ...
    def volume_formats(self, pool_type: str) -> list[str]: ...
    def check(self, spec: PoolSpec) -> None: ...

@final
class PoolEvent:
    """A pool lifecycle or refresh event."""
    @property
    def pool(self) -> str: ...
    @property
    def uuid(self) -> str: ...
    @property
    def kind(self) -> _EventKind: ...

@final
class Subscription:
    """An event subscription; close() or a with block ends it."""
    def close(self) -> None: ...
    def __enter__(self) -> Subscription: ...
    def __exit__(
        self, _exc_type: Optional[type[BaseException]], _exc: Optional[BaseException],
        _tb: Optional[TracebackType],
    ) -> None: ...

@final
class EventIterator(Iterator[PoolEvent]):
    """Pool events as an iterator."""
    def next_event(self, timeout: Optional[float] = None) -> Optional[PoolEvent]:
        """The next event, or None after ``timeout`` seconds without one. None or
        ``float("inf")`` waits until an event comes or the iterator is closed; NaN or a
        negative timeout raises InvalidSpecError (a ValueError)."""
    def close(self) -> None: ...
    def __iter__(self) -> EventIterator: ...
    def __next__(self) -> PoolEvent: ...

@final
class Manifest:
    """What a host should have: pools with their volumes (TOML, JSON or a dict)."""
    @staticmethod
    def from_toml(text: str, *, file: str = "manifest") -> Manifest: ...
    @staticmethod
    def from_json(text: str, *, file: str = "manifest") -> Manifest: ...
    @staticmethod
    def from_file(path: _PathArg) -> Manifest: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> Manifest: ...
    @property
    def pools(self) -> list[str]: ...

@final
class Action:
    """One step of a plan (action "refused" in Plan.blocked)."""
    @property
    def action(self) -> str: ...
    @property
    def pool(self) -> str: ...
    @property
    def volume(self) -> Optional[str]: ...
    @property
    def reason(self) -> str: ...
    @property
    def diff(self) -> Optional[str]: ...

@final
class Plan:
    """What Connection.apply(plan) would do."""
    @property
    def actions(self) -> list[Action]: ...
    @property
    def blocked(self) -> list[Action]: ...
    @property
    def is_empty(self) -> bool: ...
    def to_json(self) -> str: ...

@final
class ApplyReport:
    """What Connection.apply did."""
    @property
    def done(self) -> list[Action]: ...
    @property
    def skipped(self) -> list[Action]: ...

@final
class Connection:
    """A connection to libvirt. Safe to share between threads. Its repr shows the URI
    given to ``connect`` and never calls libvirt."""
    @property
    def uri(self) -> str:
        """The URI libvirt reports (a call to libvirt)."""
    def is_alive(self) -> bool: ...
    def reconnect(self) -> None: ...
    def pools(
        self, *, active: Optional[bool] = None, persistent: Optional[bool] = None,
        autostart: Optional[bool] = None, types: Optional[Sequence[str]] = None,
    ) -> list[Pool]: ...
    def pool(self, name: str) -> Pool: ...
    def find_pool(self, name: str) -> Optional[Pool]: ...
    def pool_by_uuid(self, pool_uuid: str) -> Pool: ...
    def pool_by_target_path(self, path: str) -> Pool: ...
    def define_pool(self, spec: PoolSpec) -> Pool: ...
    def define_pool_xml(self, xml: str) -> Pool: ...
    def create_pool(self, spec: PoolSpec, build: Optional[_BuildMode] = None) -> Pool: ...
    def create_pool_xml(self, xml: str, build: Optional[_BuildMode] = None) -> Pool: ...
    def ensure_pool(
        self, spec: PoolSpec, *, build: Optional[_BuildMode] = "normal", start: bool = True,
        autostart: Optional[bool] = None,
    ) -> EnsureReport: ...
    def volume_by_key(self, key: str) -> Volume: ...
    def volume_by_path(self, path: str) -> Volume: ...
    def find_pool_sources(
        self, pool_type: str, host: Optional[str] = None, *, port: Optional[int] = None,
        initiator: Optional[str] = None,
    ) -> list[PoolSource]: ...
    def pool_capabilities(self) -> PoolCapabilities: ...
    def check_supported(self, spec: PoolSpec) -> None: ...
    def plan(self, manifest: Manifest) -> Plan:
        """Compare the manifest with this host; nothing is changed."""
    def apply(self, plan: Plan) -> ApplyReport:
        """Carry out the plan, undoing its own steps when one fails."""
    def inventory_json(
        self, *, formats: bool = False, method: _InventoryMethod = "auto",
    ) -> str: ...
    def inventory(
        self, *, formats: bool = False, method: _InventoryMethod = "auto",
    ) -> dict[str, Any]: ...
    def subscribe_pool_events(
        self, callback: Callable[[PoolEvent], object], pool: Optional[Pool] = None,
    ) -> Subscription: ...
    def pool_events(self, pool: Optional[Pool] = None) -> EventIterator: ...

# --- fleets ------------------------------------------------------------------------------

@final
class FleetHost:
    """One host of a fleet and where it stands."""
    @property
    def label(self) -> str: ...
    @property
    def uri(self) -> str:
        """The URI, redacted (no password, no secret parameter)."""
    @property
    def connected(self) -> bool: ...
    @property
    def error(self) -> Optional[Error]: ...
    @property
    def tls_verify(self) -> bool: ...

@final
class ApplyOutcome:
    """What Fleet.apply did on a host: status "applied" (.report) or "skipped" (.reason)."""
    @property
    def status(self) -> Literal["applied", "skipped"]: ...
    @property
    def report(self) -> Optional[ApplyReport]: ...
    @property
    def reason(self) -> Optional[str]: ...

@final
class HostResult:
    """One host's part of a fleet call: .value, or .error (an exception object)."""
    @property
    def host(self) -> str: ...
    @property
    def uri(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def value(self) -> Any:
        """An inventory dict, a Plan or an ApplyOutcome; None on error."""
    @property
    def error(self) -> Optional[Error]: ...
    @property
    def elapsed(self) -> float: ...

@final
class FleetResult:
    """One HostResult per host, in the fleet's order (index by position or label)."""
    @property
    def operation(self) -> Literal["inventory", "plan", "apply"]: ...
    @property
    def elapsed(self) -> float: ...
    @property
    def hosts(self) -> list[HostResult]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def errors(self) -> dict[str, Error]: ...
    def to_json(self) -> str:
        """Schema "kvmpool-fleet/1"."""
    def __len__(self) -> int: ...
    def __getitem__(self, key: Union[int, str], /) -> HostResult: ...
    def __iter__(self) -> Iterator[HostResult]: ...

_DriftState = Literal["in-sync", "drifted", "missing", "unreachable", "failed"]

@final
class DriftCell:
    """One host x pool cell of a DriftMatrix."""
    @property
    def host(self) -> str: ...
    @property
    def pool(self) -> str: ...
    @property
    def state(self) -> _DriftState: ...
    @property
    def actions(self) -> list[Action]: ...
    @property
    def blocked(self) -> list[Action]: ...
    @property
    def error(self) -> Optional[Error]: ...

@final
class DriftMatrix:
    """Host x pool: in sync, drifted, missing, unreachable (or failed); str() is a table."""
    @property
    def hosts(self) -> list[str]: ...
    @property
    def pools(self) -> list[str]: ...
    @property
    def cells(self) -> list[DriftCell]: ...
    @property
    def in_sync(self) -> bool: ...
    def cell(self, host: str, pool: str) -> Optional[DriftCell]: ...
    def to_json(self) -> str: ...

@final
class VolumeSighting:
    """One host's view of a shared volume."""
    @property
    def host(self) -> str: ...
    @property
    def pool(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def allocation(self) -> int: ...

@final
class SharedVolume:
    """A volume of a shared source and which hosts see it."""
    @property
    def name(self) -> str: ...
    @property
    def seen(self) -> list[VolumeSighting]: ...
    @property
    def missing_on(self) -> list[str]: ...
    @property
    def sizes_agree(self) -> bool: ...
    @property
    def keys_agree(self) -> bool: ...

@final
class SharedPool:
    """A host's pool on a shared source."""
    @property
    def host(self) -> str: ...
    @property
    def pool(self) -> str: ...
    @property
    def target(self) -> Optional[str]: ...
    @property
    def running(self) -> bool: ...

@final
class SharedSource:
    """One network storage source and what the hosts see of it."""
    @property
    def type(self) -> str: ...
    @property
    def source(self) -> dict[str, Any]: ...
    @property
    def pools(self) -> list[SharedPool]: ...
    @property
    def volumes(self) -> list[SharedVolume]: ...

@final
class SharedStorage:
    """The fleet's shared storage."""
    @property
    def sources(self) -> list[SharedSource]: ...
    @property
    def errors(self) -> dict[str, Error]: ...
    def volume(self, name: str) -> Optional[SharedVolume]: ...
    def to_json(self) -> str: ...

@final
class FieldDifference:
    """A pool field that differs between two hosts."""
    @property
    def field(self) -> str: ...
    @property
    def a(self) -> Any: ...
    @property
    def b(self) -> Any: ...

@final
class MigrationCheck:
    """Whether a pool is the same on two hosts (type, source, target)."""
    @property
    def pool(self) -> str: ...
    @property
    def host_a(self) -> str: ...
    @property
    def host_b(self) -> str: ...
    @property
    def compatible(self) -> bool: ...
    @property
    def shared(self) -> bool: ...
    @property
    def differences(self) -> list[FieldDifference]: ...
    @property
    def other_differences(self) -> list[FieldDifference]: ...
    @property
    def problems(self) -> list[str]: ...
    def to_json(self) -> str: ...

@final
class Fleet:
    """Many libvirt hosts at once over libvirt's remote protocol."""
    def __new__(
        cls, uris: list[str], *, labels: Optional[list[str]] = None,
        connect_timeout: Optional[float] = None, timeout: Optional[float] = None,
        keepalive: Optional[Union[bool, tuple[float, int]]] = None, read_only: bool = False,
        concurrency: Optional[int] = None,
    ) -> Fleet: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def hosts(self) -> list[FleetHost]: ...
    def connection(self, label: str) -> Connection: ...
    def inventory(self, *, formats: bool = False) -> FleetResult: ...
    def plan(self, manifest: Manifest) -> FleetResult: ...
    def apply(
        self, plans: FleetResult, *, canary: Optional[Union[bool, str]] = None,
        concurrency: Optional[int] = None, timeout: Optional[float] = None,
    ) -> FleetResult: ...
    def drift(self, manifest: Manifest) -> DriftMatrix: ...
    def shared_storage(self, *, refresh: bool = False) -> SharedStorage: ...
    def migration_check(self, host_a: str, host_b: str, pool: str) -> MigrationCheck: ...
    def __len__(self) -> int: ...
