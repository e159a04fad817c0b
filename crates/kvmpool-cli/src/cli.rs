//! The command line's definition: virsh's command and option names for pool-* and
//! vol-*, plus inventory, plan, apply and drift. The help text, the shell completions
//! and the man page are all made from these definitions ([`command`]).

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use kvmpool_core::{BuildMode, InventoryMethod, PoolType, TransferMethod, WipeAlgorithm};

const ABOUT: &str = "libvirt storage pools and volumes: virsh's pool-* and vol-* commands, \
                     and declarative manifests (plan, apply, drift)";

const LONG_ABOUT: &str = "\
libvirt storage pools and volumes: virsh's pool-* and vol-* commands (same names, \
same options, same tables), and declarative manifests: `plan -f FILE` shows what would \
change, `apply -f FILE` makes it so, `drift -f FILE` exits non-zero when the host \
differs. Read commands take --json. Errors are printed as `error: ...` and name the \
field at fault.";

/// The whole command line, with the exit status table in the long help.
pub fn command() -> clap::Command {
    Cli::command().after_long_help(crate::exit::help())
}

impl Cli {
    /// The definitions for the man page, which has the exit status table as a
    /// section of its own.
    pub fn command_for_man() -> clap::Command {
        Cli::command()
    }
}

/// kvmpool's command line.
#[derive(Debug, Parser)]
#[command(name = "kvmpool", version, about = ABOUT, long_about = LONG_ABOUT)]
#[command(
    after_help = "Exit status: 0 ok, 2 usage, 3 drift, 4 apply not confirmed, \
                        10-19 one per error kind (see --help)"
)]
pub struct Cli {
    /// libvirt URI to connect to, as virsh -c (default: libvirt's default URI,
    /// $LIBVIRT_DEFAULT_URI first). Given more than once, a fleet of hosts: inventory,
    /// plan, apply and drift then run on every host at once and print one table
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true, action = ArgAction::Append)]
    pub connect: Vec<String>,

    /// A fleet of hosts from a file: one per line, `URI` or `LABEL URI` (`#` starts a
    /// comment); for inventory, plan, apply and drift
    #[arg(
        long = "hosts",
        value_name = "FILE",
        global = true,
        conflicts_with = "connect"
    )]
    pub hosts: Option<PathBuf>,

    /// Log on stderr what kvmpool does: -v the changes made to the host (and each
    /// plan step applied), -vv also every libvirt call with its outcome and time
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

fn pool_type() -> impl TypedValueParser<Value = PoolType> {
    PossibleValuesParser::new(PoolType::ALL.iter().map(|t| t.as_str()))
        .map(|s| s.parse::<PoolType>().expect("one of PoolType::ALL"))
}

fn transfer_method() -> impl TypedValueParser<Value = TransferMethod> {
    PossibleValuesParser::new(TransferMethod::ALL.iter().map(|t| t.as_str())).map(|s| {
        s.parse::<TransferMethod>()
            .expect("one of TransferMethod::ALL")
    })
}

fn wipe_algorithm() -> impl TypedValueParser<Value = WipeAlgorithm> {
    PossibleValuesParser::new(WipeAlgorithm::ALL.iter().map(|t| t.as_str())).map(|s| {
        s.parse::<WipeAlgorithm>()
            .expect("one of WipeAlgorithm::ALL")
    })
}

fn inventory_method() -> impl TypedValueParser<Value = InventoryMethod> {
    PossibleValuesParser::new(InventoryMethod::ALL.iter().map(|m| m.as_str())).map(|s| {
        s.parse::<InventoryMethod>()
            .expect("one of InventoryMethod::ALL")
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // --- pools: reading -------------------------------------------------------------
    /// List pools (active ones unless --all or --inactive)
    PoolList(PoolListArgs),
    /// Pool information: name, UUID, state, persistence, autostart, sizes
    PoolInfo(PoolInfoArgs),
    /// The pool's XML (live, or with --inactive the definition used at next start)
    PoolDumpxml(PoolDumpxmlArgs),
    /// The pool's UUID
    PoolUuid(PoolArg),
    /// The name of the pool with this UUID
    PoolName(PoolNameArgs),
    /// Sources the daemon finds for a pool type (volume groups, NFS exports, iSCSI
    /// targets), as libvirt's XML
    FindStoragePoolSourcesAs(FindSourcesArgs),
    /// What the daemon supports per pool type (libvirt's XML, or --json)
    PoolCapabilities(PoolCapabilitiesArgs),
    /// Every pool with its details and every volume of the running ones
    Inventory(InventoryArgs),

    // --- pools: changing ------------------------------------------------------------
    /// Define a persistent pool from virsh's options
    PoolDefineAs(PoolAsArgs),
    /// Create and start a transient pool from virsh's options
    PoolCreateAs(PoolCreateAsArgs),
    /// Define a persistent pool from an XML file
    PoolDefine(PoolDefineArgs),
    /// Create and start a transient pool from an XML file
    PoolCreate(PoolCreateArgs),
    /// Build a pool (make its directory, file system, label or volume group)
    PoolBuild(PoolBuildArgs),
    /// Start an inactive pool
    PoolStart(PoolStartArgs),
    /// Stop a pool (its data stays)
    PoolDestroy(PoolArg),
    /// Delete what pool-build made (the pool must be inactive)
    PoolDelete(PoolArg),
    /// Remove a pool's persistent definition
    PoolUndefine(PoolArg),
    /// Rescan a pool's volumes
    PoolRefresh(PoolArg),
    /// Start the pool with the daemon (--disable: do not)
    PoolAutostart(PoolAutostartArgs),

    // --- volumes: reading -----------------------------------------------------------
    /// List the volumes of a running pool
    VolList(VolListArgs),
    /// Volume information: name, type, capacity, allocation
    VolInfo(VolInfoArgs),
    /// The volume's XML
    VolDumpxml(VolArg),
    /// The volume's key
    VolKey(VolArg),
    /// The volume's path
    VolPath(VolArg),
    /// The name of the volume with this key or path
    VolName(VolIdArg),
    /// The pool of the volume with this key or path
    VolPool(VolPoolArgs),

    // --- volumes: changing ----------------------------------------------------------
    /// Create a volume from virsh's arguments
    VolCreateAs(VolCreateAsArgs),
    /// Create a volume from an XML file
    VolCreate(VolCreateArgs),
    /// Create a volume from an XML file, holding a copy of another volume
    VolCreateFrom(VolCreateFromArgs),
    /// Copy a volume within its pool
    VolClone(VolCloneArgs),
    /// Delete a volume
    VolDelete(VolArg),
    /// Change a volume's capacity
    VolResize(VolResizeArgs),
    /// Overwrite a volume's data
    VolWipe(VolWipeArgs),
    /// Write a local file into a volume (progress on stderr; Ctrl-C cancels)
    VolUpload(TransferArgs),
    /// Read a volume into a local file (progress on stderr; Ctrl-C cancels)
    VolDownload(TransferArgs),
    /// Import a disk image (a file or an http(s) URL) into a new volume: the format and
    /// size from the image's header, the checksum verified while streaming, nothing
    /// left behind on failure (progress on stderr; Ctrl-C cancels)
    Import(ImportArgs),

    // --- declarative ----------------------------------------------------------------
    /// What applying the manifest would change, in order (nothing is changed)
    Plan(PlanArgs),
    /// Make the host match the manifest: show the plan, ask before destructive
    /// steps on a terminal, carry it out (undoing its own steps if one fails)
    Apply(ApplyArgs),
    /// Show how the host differs from the manifest; exit status 3 when it does
    Drift(PlanArgs),

    // --- the command line itself ----------------------------------------------------
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

/// A pool, by name or UUID.
#[derive(Debug, Args)]
pub struct PoolArg {
    /// Pool name or UUID
    #[arg(value_name = "POOL")]
    pub pool: String,
}

#[derive(Debug, Args)]
pub struct PoolListArgs {
    /// List inactive and active pools
    #[arg(long, conflicts_with = "inactive")]
    pub all: bool,
    /// List inactive pools only
    #[arg(long)]
    pub inactive: bool,
    /// List persistent pools only
    #[arg(long, conflicts_with = "transient")]
    pub persistent: bool,
    /// List transient pools only
    #[arg(long)]
    pub transient: bool,
    /// List pools with autostart only
    #[arg(long, conflicts_with = "no_autostart")]
    pub autostart: bool,
    /// List pools without autostart only
    #[arg(long)]
    pub no_autostart: bool,
    /// Only pools of these types (comma separated)
    #[arg(long = "type", value_name = "TYPES", value_delimiter = ',', value_parser = pool_type())]
    pub types: Vec<PoolType>,
    /// Show state, persistence and sizes
    #[arg(long)]
    pub details: bool,
    /// Names only, one per line
    #[arg(long, conflicts_with_all = ["uuid", "details", "json"])]
    pub name: bool,
    /// UUIDs only, one per line
    #[arg(long, conflicts_with_all = ["details", "json"])]
    pub uuid: bool,
    /// JSON (schemas/pool-list.schema.json)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PoolInfoArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// Sizes in bytes
    #[arg(long)]
    pub bytes: bool,
    /// JSON (schemas/pool-info.schema.json)
    #[arg(long, conflicts_with = "bytes")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PoolDumpxmlArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// The definition used at next start
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
pub struct PoolNameArgs {
    /// Pool UUID
    #[arg(value_name = "UUID")]
    pub uuid: String,
}

#[derive(Debug, Args)]
pub struct FindSourcesArgs {
    /// Pool type
    #[arg(value_name = "TYPE", value_parser = pool_type())]
    pub pool_type: PoolType,
    /// Host to ask (netfs, iscsi, iscsi-direct, gluster)
    #[arg(value_name = "HOST")]
    pub host: Option<String>,
    /// Port on the host
    #[arg(value_name = "PORT", requires = "host")]
    pub port: Option<u16>,
    /// Initiator IQN to log in as (iscsi)
    #[arg(long, value_name = "IQN")]
    pub initiator: Option<String>,
}

#[derive(Debug, Args)]
pub struct PoolCapabilitiesArgs {
    /// JSON (schemas/pool-capabilities.schema.json) instead of libvirt's XML
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Also read each volume's format (one more call per volume)
    #[arg(long)]
    pub formats: bool,
    /// JSON (schemas/inventory.schema.json)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub method: MethodArg,
}

/// How `inventory` and `vol-list --details` read volume details.
#[derive(Debug, Args)]
pub struct MethodArg {
    /// auto: read the files of a local daemon's dir, fs and netfs pools here, ask
    /// libvirt for the rest; rpc: ask libvirt for each volume; local: files only
    #[arg(long, value_name = "METHOD", value_parser = inventory_method(), default_value = "auto")]
    pub method: InventoryMethod,
}

/// `pool-build`'s mode, and `--build` of pool-start, pool-create and pool-create-as.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Build the pool first
    #[arg(long)]
    pub build: bool,
    /// Build, overwriting what is there (mkfs, new label, new volume group)
    #[arg(long, conflicts_with = "no_overwrite")]
    pub overwrite: bool,
    /// Build, refusing when the device already holds data
    #[arg(long)]
    pub no_overwrite: bool,
}

impl BuildArgs {
    /// As virsh: --overwrite and --no-overwrite imply --build.
    pub fn mode(&self) -> Option<BuildMode> {
        if self.overwrite {
            Some(BuildMode::Overwrite)
        } else if self.no_overwrite {
            Some(BuildMode::NoOverwrite)
        } else {
            self.build.then_some(BuildMode::Normal)
        }
    }
}

/// virsh's pool-define-as arguments. The option names are core's
/// `VIRSH_POOL_OPTIONS`; which field each sets is core's `PoolSpec::from_virsh_args`.
#[derive(Debug, Args)]
pub struct PoolAsArgs {
    /// Name of the pool (or --name)
    #[arg(value_name = "NAME", required_unless_present = "name_opt")]
    pub name: Option<String>,
    #[arg(
        long = "name",
        value_name = "NAME",
        conflicts_with = "name",
        hide = true
    )]
    pub name_opt: Option<String>,
    /// Type of the pool (or --type)
    #[arg(value_name = "TYPE", value_parser = pool_type(), required_unless_present = "type_opt")]
    pub pool_type: Option<PoolType>,
    #[arg(long = "type", value_name = "TYPE", value_parser = pool_type(), conflicts_with = "pool_type", hide = true)]
    pub type_opt: Option<PoolType>,
    /// Source host (host or host:port)
    #[arg(long, value_name = "HOST")]
    pub source_host: Option<String>,
    /// Source path (netfs export, gluster directory)
    #[arg(long, value_name = "PATH")]
    pub source_path: Option<String>,
    /// Source device (fs device, disk, physical volume, iSCSI IQN)
    #[arg(long, value_name = "DEV")]
    pub source_dev: Option<String>,
    /// Source name (volume group, gluster volume, zpool, rbd pool)
    #[arg(long, value_name = "NAME")]
    pub source_name: Option<String>,
    /// Source format (ext4, nfs, gpt, lvm2, ...)
    #[arg(long, value_name = "FORMAT")]
    pub source_format: Option<String>,
    /// Target path
    #[arg(long, value_name = "PATH")]
    pub target: Option<String>,
    /// Authentication type (chap, ceph)
    #[arg(long, value_name = "TYPE")]
    pub auth_type: Option<String>,
    /// Authentication user name
    #[arg(long, value_name = "USER")]
    pub auth_username: Option<String>,
    /// The secret, by usage
    #[arg(long, value_name = "USAGE", conflicts_with = "secret_uuid")]
    pub secret_usage: Option<String>,
    /// The secret, by UUID
    #[arg(long, value_name = "UUID")]
    pub secret_uuid: Option<String>,
    /// SCSI adapter name (scsi_hostN)
    #[arg(long, value_name = "NAME")]
    pub adapter_name: Option<String>,
    /// NFS protocol version
    #[arg(long, value_name = "VER")]
    pub source_protocol_ver: Option<String>,
    /// Initiator IQN (iscsi-direct)
    #[arg(long, value_name = "IQN")]
    pub source_initiator: Option<String>,
    /// Print the XML instead of defining the pool
    #[arg(long)]
    pub print_xml: bool,
}

impl PoolAsArgs {
    pub fn name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.name_opt.as_deref())
            .expect("clap requires NAME or --name")
    }

    pub fn pool_type(&self) -> PoolType {
        self.pool_type
            .or(self.type_opt)
            .expect("clap requires TYPE or --type")
    }

    /// The options given, by their virsh names, for `PoolSpec::from_virsh_args`.
    pub fn options(&self) -> Vec<(&'static str, &str)> {
        [
            ("source-host", &self.source_host),
            ("source-path", &self.source_path),
            ("source-dev", &self.source_dev),
            ("source-name", &self.source_name),
            ("source-format", &self.source_format),
            ("target", &self.target),
            ("auth-type", &self.auth_type),
            ("auth-username", &self.auth_username),
            ("secret-usage", &self.secret_usage),
            ("secret-uuid", &self.secret_uuid),
            ("adapter-name", &self.adapter_name),
            ("source-protocol-ver", &self.source_protocol_ver),
            ("source-initiator", &self.source_initiator),
        ]
        .into_iter()
        .filter_map(|(option, value)| value.as_deref().map(|v| (option, v)))
        .collect()
    }
}

#[derive(Debug, Args)]
pub struct PoolCreateAsArgs {
    #[command(flatten)]
    pub pool: PoolAsArgs,
    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Args)]
pub struct PoolDefineArgs {
    /// File with the pool's XML
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct PoolCreateArgs {
    /// File with the pool's XML
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Args)]
pub struct PoolBuildArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// Overwrite what is there (mkfs, new label, new volume group)
    #[arg(long, conflicts_with = "no_overwrite")]
    pub overwrite: bool,
    /// Refuse when the device already holds data
    #[arg(long)]
    pub no_overwrite: bool,
}

#[derive(Debug, Args)]
pub struct PoolStartArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Args)]
pub struct PoolAutostartArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// Turn autostart off
    #[arg(long)]
    pub disable: bool,
}

#[derive(Debug, Args)]
pub struct VolListArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// Show type, capacity and allocation
    #[arg(long)]
    pub details: bool,
    /// JSON (schemas/vol-list.schema.json)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub method: MethodArg,
}

/// A volume: a name (with --pool), a key or a path.
#[derive(Debug, Args)]
pub struct VolArg {
    /// Volume name (with --pool), key or path
    #[arg(value_name = "VOL")]
    pub vol: String,
    /// The pool to look the name up in (name or UUID)
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
}

/// A volume by key or path.
#[derive(Debug, Args)]
pub struct VolIdArg {
    /// Volume key or path
    #[arg(value_name = "VOL")]
    pub vol: String,
}

#[derive(Debug, Args)]
pub struct VolInfoArgs {
    #[command(flatten)]
    pub vol: VolArg,
    /// Sizes in bytes
    #[arg(long)]
    pub bytes: bool,
    /// Show the size on the host (file or device size) instead of the allocation
    #[arg(long)]
    pub physical: bool,
    /// JSON (schemas/vol-info.schema.json)
    #[arg(long, conflicts_with_all = ["bytes", "physical"])]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VolPoolArgs {
    #[command(flatten)]
    pub vol: VolIdArg,
    /// Print the pool's UUID instead of its name
    #[arg(long)]
    pub uuid: bool,
}

/// virsh's vol-create-as arguments. The option names are core's
/// `VIRSH_VOLUME_OPTIONS`; what they set is core's `VolumeSpec::from_virsh_args`.
#[derive(Debug, Args)]
pub struct VolCreateAsArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// Name of the volume
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Capacity, e.g. 10G, 512MiB, 1.5TB, 4096 (bytes)
    #[arg(value_name = "CAPACITY", allow_hyphen_values = true)]
    pub capacity: String,
    /// Allocation (same units)
    #[arg(long, value_name = "SIZE")]
    pub allocation: Option<String>,
    /// Format (raw, qcow2, ...; a partition type in disk pools)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Backing volume: name in the pool, key, or path
    #[arg(long, value_name = "VOL")]
    pub backing_vol: Option<String>,
    /// Format of the backing volume
    #[arg(long, value_name = "FORMAT")]
    pub backing_vol_format: Option<String>,
    /// Preallocate metadata (qcow2)
    #[arg(long)]
    pub prealloc_metadata: bool,
    /// Print the XML instead of creating the volume
    #[arg(long)]
    pub print_xml: bool,
}

#[derive(Debug, Args)]
pub struct VolCreateArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// File with the volume's XML
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Preallocate metadata (qcow2)
    #[arg(long)]
    pub prealloc_metadata: bool,
}

#[derive(Debug, Args)]
pub struct VolCreateFromArgs {
    #[command(flatten)]
    pub pool: PoolArg,
    /// File with the new volume's XML
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The volume to copy: name (with --inputpool), key or path
    #[arg(value_name = "VOL")]
    pub vol: String,
    /// The pool of the volume to copy
    #[arg(long, value_name = "POOL")]
    pub inputpool: Option<String>,
    /// Preallocate metadata (qcow2)
    #[arg(long)]
    pub prealloc_metadata: bool,
}

#[derive(Debug, Args)]
pub struct VolCloneArgs {
    #[command(flatten)]
    pub vol: VolArg,
    /// Name of the copy
    #[arg(value_name = "NEWNAME")]
    pub newname: String,
    /// A copy-on-write clone where the file system allows it
    #[arg(long)]
    pub reflink: bool,
}

#[derive(Debug, Args)]
pub struct VolResizeArgs {
    #[command(flatten)]
    pub vol: VolArg,
    /// New capacity, or with --delta the change (a leading '-' needs --shrink)
    #[arg(value_name = "CAPACITY", allow_hyphen_values = true)]
    pub capacity: String,
    /// Allocate the new space
    #[arg(long)]
    pub allocate: bool,
    /// CAPACITY is a change, not the new capacity
    #[arg(long)]
    pub delta: bool,
    /// Allow the capacity to go down
    #[arg(long)]
    pub shrink: bool,
}

#[derive(Debug, Args)]
pub struct VolWipeArgs {
    #[command(flatten)]
    pub vol: VolArg,
    /// Wipe algorithm (all but zero and trim need scrub on the host)
    #[arg(long, value_name = "ALG", value_parser = wipe_algorithm())]
    pub algorithm: Option<WipeAlgorithm>,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Volume name (with --pool), key or path
    #[arg(value_name = "VOL")]
    pub vol: String,
    /// Local file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The pool to look the name up in (name or UUID)
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    /// Byte offset in the volume
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub offset: u64,
    /// Bytes to transfer (default: the rest)
    #[arg(long, value_name = "BYTES")]
    pub length: Option<u64>,
    /// Keep holes: skip zero regions
    #[arg(long)]
    pub sparse: bool,
    /// How the bytes move: direct (copied here, needs the daemon on this machine),
    /// stream (through libvirt), auto (direct when possible)
    #[arg(long, value_name = "METHOD", value_parser = transfer_method(), default_value = "auto")]
    pub method: TransferMethod,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The pool (name or UUID)
    #[arg(value_name = "POOL")]
    pub pool: String,
    /// A local image file or an http(s) URL
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// The volume's name (default: the file name)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The format the image must have (default: what its header says)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// The volume's capacity (default: the image's virtual size)
    #[arg(long, value_name = "SIZE")]
    pub capacity: Option<String>,
    /// The image's SHA-256 (hex)
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// The image's SHA-512 (hex)
    #[arg(long, value_name = "HEX")]
    pub sha512: Option<String>,
    /// Convert the image into this format with qemu-img (qcow2 or raw)
    #[arg(long, value_name = "FORMAT")]
    pub convert_to: Option<String>,
    /// The volume of the pool that the image's backing file is
    #[arg(long, value_name = "VOL")]
    pub allow_backing: Option<String>,
    /// Replace a volume of the same name
    #[arg(long)]
    pub overwrite: bool,
    /// Write zero blocks too (default: leave them as holes)
    #[arg(long)]
    pub no_sparse: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The manifest (TOML; JSON when the name ends in .json)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// The plan as JSON (schemas/plan.schema.json)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The manifest (TOML; JSON when the name ends in .json)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Carry out destructive steps without asking (needed without a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvmpool_core::{VIRSH_POOL_OPTIONS, VIRSH_VOLUME_OPTIONS};

    #[test]
    fn definitions_are_consistent() {
        command().debug_assert();
    }

    fn longs(sub: &str) -> Vec<String> {
        let cmd = command();
        let sub = cmd.find_subcommand(sub).expect(sub);
        sub.get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect()
    }

    /// Every option core maps is an option here, under virsh's name, and back.
    #[test]
    fn virsh_options_are_cores() {
        for sub in ["pool-define-as", "pool-create-as"] {
            let have = longs(sub);
            for option in VIRSH_POOL_OPTIONS {
                assert!(have.iter().any(|l| l == option), "{sub} lacks --{option}");
            }
        }
        let have = longs("vol-create-as");
        for option in VIRSH_VOLUME_OPTIONS {
            assert!(
                have.iter().any(|l| l == option),
                "vol-create-as lacks --{option}"
            );
        }
        let args = Cli::try_parse_from([
            "kvmpool",
            "pool-define-as",
            "p",
            "netfs",
            "--source-host",
            "h",
            "--source-path",
            "/x",
            "--target",
            "/t",
        ])
        .unwrap();
        let Command::PoolDefineAs(a) = args.command else {
            panic!()
        };
        let given: Vec<_> = a.options().iter().map(|(o, _)| *o).collect();
        assert_eq!(given, ["source-host", "source-path", "target"]);
        for (option, _) in a.options() {
            assert!(VIRSH_POOL_OPTIONS.contains(&option));
        }
    }

    #[test]
    fn tutorial_forms_parse() {
        for line in [
            "kvmpool pool-define-as test dir --target /guest_images/",
            "kvmpool pool-define-as --name storage01 --type iscsi --source-host 192.168.2.20 \
             --source-dev iqn.2017-10.com.cloud.www:storage001 --target /dev/disk/by-path",
            "kvmpool -c test:///default pool-list --all --details --type dir,fs",
            "kvmpool vol-resize v -1G --pool p --delta --shrink",
        ] {
            Cli::try_parse_from(line.split_whitespace()).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        let e = Cli::try_parse_from(["kvmpool", "pool-define-as", "x", "warp"]).unwrap_err();
        assert_eq!(e.exit_code(), i32::from(crate::exit::USAGE));
    }
}
