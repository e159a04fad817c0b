//! The fields of a volume spec by the names every front end uses (the Python
//! `VolumeSpec` keywords, the C setters, the manifest keys), and the editing API on
//! them: [`VolumeSpec::from_fields`], [`VolumeSpec::set`], [`VolumeSpec::fields`].

use super::fields::{self, FieldValue};
use super::names::string_enum;
use super::parts::{Permissions, SecretRef};
use super::volume::{
    Allocation, BackingStore, Encryption, EncryptionFormat, Preallocation, VolumeFeature,
    VolumeSpec,
};
use crate::error::{Error, Result};
use crate::units::Size;

string_enum! {
    /// A field of a volume spec, by the name all front ends use.
    pub enum VolumeField {
        /// The volume name.
        Name = "name",
        /// The capacity: bytes, or text like `"10G"`.
        Capacity = "capacity",
        /// The format (`qcow2`, `raw`, a partition type in disk pools).
        Format = "format",
        /// Bytes allocated up front.
        Allocation = "allocation",
        /// `sparse`, `metadata` or `full`.
        Preallocation = "preallocation",
        /// Logical pools: a sparse LV with this much copy-on-write space.
        SparseLv = "sparse_lv",
        /// Octal mode of the new file or device.
        Mode = "mode",
        /// Owner uid.
        Owner = "owner",
        /// Group gid.
        Group = "group",
        /// Security label.
        Label = "label",
        /// Path of the backing volume (copy-on-write).
        BackingStore = "backing_store",
        /// Format of the backing volume.
        BackingFormat = "backing_format",
        /// qcow2 compatibility level.
        Compat = "compat",
        /// qcow2 features.
        Features = "features",
        /// No copy-on-write for the file (btrfs).
        Nocow = "nocow",
        /// qcow2 cluster size.
        ClusterSize = "cluster_size",
        /// LUKS encryption with the passphrase in this libvirt secret (UUID).
        LuksSecret = "luks_secret",
    }
}

use VolumeField as V;

impl VolumeField {
    /// The pool field of the same name, for the permissions (their rules are shared).
    fn permission_field(self) -> fields::PoolField {
        match self {
            V::Owner => fields::PoolField::Owner,
            V::Group => fields::PoolField::Group,
            V::Label => fields::PoolField::Label,
            _ => fields::PoolField::Mode,
        }
    }
}

/// A size given as bytes or as text (`"10G"`), named after `field`: how every front
/// end reads a size argument.
pub fn size(field: &str, value: &FieldValue) -> Result<Option<Size>> {
    let bytes = match value {
        FieldValue::Unset => return Ok(None),
        FieldValue::Text(t) => return Size::parse(t).map(Some).map_err(|e| e.with_field(field)),
        FieldValue::Int(n) if *n < 0 => {
            return Err(Error::invalid(field, format!("{n} is negative")))
        }
        FieldValue::Int(n) => u64::try_from(*n)
            .map_err(|_| Error::invalid(field, format!("{n} bytes is too large")))?,
        other => {
            return Err(Error::invalid(
                field,
                format!(
                    "a size is a number of bytes or text like \"10G\", not {}",
                    other.shape()
                ),
            ))
        }
    };
    Size::try_bytes(bytes)
        .map(Some)
        .map_err(|e| e.with_field(field))
}

/// A size that must be given (see [`size`]).
pub fn required_size(field: &str, value: &FieldValue) -> Result<Size> {
    size(field, value)?.ok_or_else(|| Error::invalid(field, "must be given"))
}

fn parse<T: std::str::FromStr<Err = super::names::UnknownValue>>(
    field: VolumeField,
    v: &FieldValue,
) -> Result<Option<T>> {
    let f = field.as_str();
    v.text(f)?
        .map(|t| t.parse().map_err(|e| Error::invalid(f, e)))
        .transpose()
}

/// Put `value` into `spec`, checking it on its own. What only holds between fields is
/// left to [`VolumeSpec::validate`].
fn put(spec: &mut VolumeSpec, field: VolumeField, value: &FieldValue) -> Result<()> {
    let f = field.as_str();
    let text = || value.text(f).map(|t| t.map(str::to_owned));
    match field {
        V::Name => spec.name = text()?.unwrap_or_default(),
        V::Capacity => spec.capacity = size(f, value)?.unwrap_or(Size::ZERO),
        V::Format => spec.format = parse(field, value)?,
        V::Allocation => {
            spec.allocation = size(f, value)?.map_or(Allocation::PoolDefault, Allocation::Bytes)
        }
        V::SparseLv => {
            spec.allocation = size(f, value)?.map_or(Allocation::PoolDefault, Allocation::SparseLv)
        }
        V::Preallocation => {
            let p: Preallocation = parse(field, value)?.unwrap_or_default();
            *spec = spec.clone().preallocation(p);
            if value.is_unset() {
                spec.allocation = Allocation::PoolDefault;
            }
        }
        V::Mode | V::Owner | V::Group | V::Label => {
            let key = field.permission_field();
            fields::check_permission(key, value)?;
            let p = spec.permissions.get_or_insert_with(Permissions::default);
            fields::put_permission(p, key, value)?;
            if p.is_empty() {
                spec.permissions = None;
            }
        }
        V::BackingStore => {
            spec.backing_store = match text()? {
                Some(path) => Some(BackingStore {
                    path,
                    format: spec.backing_store.take().and_then(|b| b.format),
                    permissions: None,
                }),
                None => None,
            }
        }
        V::BackingFormat => {
            let format = parse(field, value)?;
            match &mut spec.backing_store {
                Some(b) => b.format = format,
                None if format.is_none() => {}
                None => return Err(Error::invalid(f, "needs backing_store")),
            }
        }
        V::Compat => spec.compat = text()?,
        V::Features => {
            spec.features = match value {
                FieldValue::Unset => None,
                _ => Some(
                    value
                        .list(f)?
                        .iter()
                        .map(|n| n.parse::<VolumeFeature>().map_err(|e| Error::invalid(f, e)))
                        .collect::<Result<_>>()?,
                ),
            }
        }
        V::Nocow => spec.nocow = value.bool(f)?.unwrap_or(false),
        V::ClusterSize => spec.cluster_size = size(f, value)?,
        V::LuksSecret => {
            spec.encryption = value
                .text(f)?
                .map(|u| fields::parse_uuid(f, u))
                .transpose()?
                .map(|u| Encryption::luks(SecretRef::Uuid(u)))
        }
    }
    Ok(())
}

/// The allocation fields exclude each other: each says the whole story.
const ALLOCATION_FIELDS: [VolumeField; 3] = [V::Allocation, V::Preallocation, V::SparseLv];

fn apply(spec: &mut VolumeSpec, fields: &[(VolumeField, FieldValue)]) -> Result<()> {
    // in the table's order, whatever the caller's: a backing format after its path
    let mut fields = fields.to_vec();
    fields.sort_by_key(|(f, _)| VolumeField::ALL.iter().position(|a| a == f));
    let fields = &fields[..];
    for (i, (field, value)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(f, _)| f == field) {
            return Err(Error::invalid(field.as_str(), "is given twice"));
        }
        if ALLOCATION_FIELDS.contains(field) && !value.is_unset() {
            if let Some((other, _)) = fields[..i]
                .iter()
                .find(|(f, v)| ALLOCATION_FIELDS.contains(f) && !v.is_unset())
            {
                return Err(Error::invalid(
                    field.as_str(),
                    format!("give only one of {other} and {field}"),
                ));
            }
        }
        if matches!(field, V::Name) && value.is_unset() {
            return Err(Error::invalid(field.as_str(), "is required"));
        }
        put(spec, *field, value)?;
    }
    // qcow2 features need compat 1.1, as libvirt assumes
    let features_given = fields
        .iter()
        .any(|(f, v)| *f == V::Features && !v.is_unset());
    if features_given && spec.compat.is_none() {
        spec.compat = Some("1.1".into());
    }
    Ok(())
}

/// The options of `virsh vol-create-as` that name a field, by their virsh name
/// without the dashes.
pub const VIRSH_VOLUME_OPTIONS: &[&str] = &[
    "allocation",
    "format",
    "backing-vol",
    "backing-vol-format",
    "prealloc-metadata",
];

impl VolumeField {
    /// The field a `virsh vol-create-as` option sets (`--backing-vol` is the backing
    /// store, `--prealloc-metadata` the preallocation), or `None` for other options.
    pub fn from_virsh_option(option: &str) -> Option<VolumeField> {
        Some(match option {
            "allocation" => V::Allocation,
            "format" => V::Format,
            "backing-vol" => V::BackingStore,
            "backing-vol-format" => V::BackingFormat,
            "prealloc-metadata" => V::Preallocation,
            _ => return None,
        })
    }
}

impl VolumeSpec {
    /// A spec from `virsh vol-create-as POOL NAME CAPACITY --option value ...`
    /// arguments (options by their virsh names without dashes, see
    /// [`VIRSH_VOLUME_OPTIONS`]). `--backing-vol` is a path here
    /// ([`Pool::backing_path`](crate::Pool::backing_path) resolves virsh's other
    /// forms); `--prealloc-metadata` is a switch, its value is ignored. Errors name
    /// the field, as [`VolumeSpec::from_fields`] does; an unknown option is refused
    /// naming it.
    pub fn from_virsh_args(name: &str, capacity: &str, options: &[(&str, &str)]) -> Result<Self> {
        let mut fields = vec![
            (V::Name, FieldValue::from(name)),
            (V::Capacity, capacity.into()),
        ];
        for &(option, value) in options {
            let field = VolumeField::from_virsh_option(option).ok_or_else(|| {
                Error::invalid(format!("--{option}"), "vol-create-as has no such option")
            })?;
            let value = match field {
                V::Preallocation => FieldValue::from(Preallocation::Metadata.as_str()),
                _ => FieldValue::from(value),
            };
            fields.push((field, value));
        }
        VolumeSpec::from_fields(fields)
    }

    /// A spec from named fields: what the Python `VolumeSpec`, the C constructor and
    /// manifests make volumes with. `name` and `capacity` are required; sizes are bytes
    /// or text like `"10G"`; the spec is validated.
    pub fn from_fields(
        fields: impl IntoIterator<Item = (VolumeField, FieldValue)>,
    ) -> Result<Self> {
        let fields: Vec<_> = fields.into_iter().filter(|(_, v)| !v.is_unset()).collect();
        for required in [V::Name, V::Capacity] {
            if !fields.iter().any(|(f, _)| *f == required) {
                return Err(Error::invalid(required.as_str(), "is required"));
            }
        }
        let mut spec = VolumeSpec::new("", Size::ZERO);
        apply(&mut spec, &fields)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Set one field by name (what the C setters do); the spec is left as it was when
    /// the value is wrong.
    pub fn set(&mut self, field: VolumeField, value: impl Into<FieldValue>) -> Result<()> {
        self.set_fields([(field, value.into())])
    }

    /// Set several fields at once, all or none.
    pub fn set_fields(
        &mut self,
        fields: impl IntoIterator<Item = (VolumeField, FieldValue)>,
    ) -> Result<()> {
        let fields: Vec<_> = fields.into_iter().collect();
        let mut edited = self.clone();
        apply(&mut edited, &fields)?;
        *self = edited;
        Ok(())
    }

    /// Append to a list field (`features`).
    pub fn add(&mut self, field: VolumeField, item: impl Into<FieldValue>) -> Result<()> {
        let joined = fields::join(self.get(field), item.into());
        self.set(field, joined)
    }

    /// The value of one field (`Unset` when left to its default).
    pub fn get(&self, field: VolumeField) -> FieldValue {
        let perms = self.permissions.as_ref();
        match field {
            V::Name => self.name.clone().into(),
            V::Capacity => self.capacity.as_bytes().into(),
            V::Format => self.format.map(|f| f.as_str()).into(),
            V::Allocation => match self.allocation {
                Allocation::Bytes(b) if !self.preallocate_metadata => b.as_bytes().into(),
                _ => FieldValue::Unset,
            },
            V::SparseLv => match self.allocation {
                Allocation::SparseLv(b) => b.as_bytes().into(),
                _ => FieldValue::Unset,
            },
            V::Preallocation => match self.allocation {
                _ if self.preallocate_metadata => Preallocation::Metadata.as_str().into(),
                Allocation::Full => Preallocation::Full.as_str().into(),
                _ => FieldValue::Unset,
            },
            V::Mode => perms.and_then(|p| p.mode).into(),
            V::Owner => perms.and_then(|p| p.owner).into(),
            V::Group => perms.and_then(|p| p.group).into(),
            V::Label => perms.and_then(|p| p.label.clone()).into(),
            V::BackingStore => self.backing_store.as_ref().map(|b| b.path.clone()).into(),
            V::BackingFormat => self
                .backing_store
                .as_ref()
                .and_then(|b| b.format)
                .map(|f| f.as_str())
                .into(),
            V::Compat => self.compat.clone().into(),
            V::Features => self
                .features
                .as_ref()
                .map(|f| f.iter().map(|f| f.as_str().to_owned()).collect::<Vec<_>>())
                .into(),
            V::Nocow => self.nocow.then_some(true).into(),
            V::ClusterSize => self.cluster_size.map(|s| s.as_bytes()).into(),
            V::LuksSecret => match &self.encryption {
                Some(e) if e.format == EncryptionFormat::Luks && e.secrets.len() == 1 => {
                    match &e.secrets[0].secret {
                        SecretRef::Uuid(u) => u.hyphenated().to_string().into(),
                        SecretRef::Usage(_) => FieldValue::Unset,
                    }
                }
                _ => FieldValue::Unset,
            },
        }
    }

    /// Every field the spec sets.
    pub fn fields(&self) -> Vec<(VolumeField, FieldValue)> {
        VolumeField::ALL
            .iter()
            .map(|&f| (f, self.get(f)))
            .filter(|(_, v)| !v.is_unset())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(fields: &[(VolumeField, FieldValue)]) -> Result<VolumeSpec> {
        VolumeSpec::from_fields(fields.iter().cloned())
    }

    #[test]
    fn every_field_round_trips() {
        let base = [(V::Name, "v".into()), (V::Capacity, "1G".into())];
        let samples: Vec<(VolumeField, FieldValue)> = vec![
            (V::Format, "qcow2".into()),
            (V::Allocation, FieldValue::Int(4096)),
            (V::Preallocation, "full".into()),
            (V::SparseLv, FieldValue::Int(1 << 20)),
            (V::Mode, FieldValue::Int(0o600)),
            (V::Owner, FieldValue::Int(107)),
            (V::Group, FieldValue::Int(107)),
            (V::Label, "system_u:object_r:svirt_image_t:s0".into()),
            (V::BackingStore, "/var/lib/libvirt/images/base.qcow2".into()),
            (V::Compat, "1.1".into()),
            (V::Nocow, true.into()),
            (V::LuksSecret, "8c7c1f1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f".into()),
        ];
        for (field, value) in samples {
            let mut fields = base.to_vec();
            fields.push((field, value.clone()));
            if field == V::Compat {
                fields.push((V::Format, "qcow2".into()));
            }
            let s = spec(&fields).unwrap_or_else(|e| panic!("{field}: {e}"));
            assert_eq!(s.get(field), value, "{field}");
        }
        let qcow2 = spec(&[
            (V::Name, "v".into()),
            (V::Capacity, FieldValue::Int(1 << 30)),
            (V::Format, "qcow2".into()),
            (V::Features, FieldValue::List(vec!["lazy_refcounts".into()])),
            (V::ClusterSize, "64K".into()),
            (V::Preallocation, "metadata".into()),
            (V::BackingStore, "/b.qcow2".into()),
            (V::BackingFormat, "qcow2".into()),
        ])
        .unwrap();
        assert_eq!(qcow2.compat.as_deref(), Some("1.1"));
        assert_eq!(qcow2.get(V::ClusterSize), FieldValue::Int(65536));
        assert_eq!(qcow2.get(V::Preallocation), FieldValue::from("metadata"));
        assert_eq!(qcow2.get(V::BackingFormat), FieldValue::from("qcow2"));
        assert_eq!(VolumeSpec::from_fields(qcow2.fields()).unwrap(), qcow2);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: Vec<(Vec<(VolumeField, FieldValue)>, &str)> = vec![
            (vec![(V::Name, "v".into())], "capacity: is required"),
            (
                vec![(V::Name, "v".into()), (V::Capacity, "ten".into())],
                "capacity: \"ten\" is not a valid size",
            ),
            (
                vec![(V::Name, "v".into()), (V::Capacity, FieldValue::Int(-1))],
                "capacity: -1 is negative",
            ),
            (
                vec![
                    (V::Name, "v".into()),
                    (V::Capacity, "1G".into()),
                    (V::Allocation, "1M".into()),
                    (V::Preallocation, "full".into()),
                ],
                "preallocation: give only one of allocation and preallocation",
            ),
            (
                vec![
                    (V::Name, "v".into()),
                    (V::Capacity, "1G".into()),
                    (V::BackingFormat, "qcow2".into()),
                ],
                "backing_format: needs backing_store",
            ),
            (
                vec![
                    (V::Name, "v".into()),
                    (V::Capacity, "1G".into()),
                    (V::Preallocation, "thick".into()),
                ],
                "preallocation: unknown value \"thick\"",
            ),
            (
                vec![(V::Name, "..".into()), (V::Capacity, "1G".into())],
                "name: \"..\" is not a usable name",
            ),
        ];
        for (fields, want) in cases {
            let e = spec(&fields).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e} (wanted {want})");
        }
    }

    #[test]
    fn virsh_vol_create_as_arguments() {
        let v = VolumeSpec::from_virsh_args(
            "vm2.qcow2",
            "10G",
            &[
                ("format", "qcow2"),
                ("backing-vol", "/guest_images/vm1.qcow2"),
                ("backing-vol-format", "qcow2"),
            ],
        )
        .unwrap();
        assert_eq!(v.capacity, Size::gib(10));
        assert_eq!(v.get(V::BackingStore), "/guest_images/vm1.qcow2".into());
        assert_eq!(v.get(V::BackingFormat), "qcow2".into());
        let v = VolumeSpec::from_virsh_args(
            "a",
            "1M",
            &[("format", "qcow2"), ("prealloc-metadata", "")],
        )
        .unwrap();
        assert!(v.preallocate_metadata);
        let v = VolumeSpec::from_virsh_args("a", "1M", &[("allocation", "4096")]).unwrap();
        assert_eq!(v.allocation, Allocation::Bytes(Size::bytes(4096)));
        for option in VIRSH_VOLUME_OPTIONS {
            assert!(VolumeField::from_virsh_option(option).is_some(), "{option}");
        }
        let e = VolumeSpec::from_virsh_args("a", "ten", &[]).unwrap_err();
        assert_eq!(e.field(), Some("capacity"));
        let e = VolumeSpec::from_virsh_args("a", "1G", &[("colour", "red")]).unwrap_err();
        assert_eq!(e.to_string(), "--colour: vol-create-as has no such option");
    }
}
