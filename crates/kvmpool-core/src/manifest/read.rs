//! From the document tree to a [`Manifest`]: every key checked against the field
//! table of its pool type, every value through the spec rules, every problem located.

use std::ops::Range;

use super::tree::{Key, Node, Source, Value};
use super::{BuildPolicy, Manifest, ManifestImage, ManifestPool, ManifestVolume, Policy};
use crate::error::{Error, Result};
use crate::options::BuildMode;
use crate::spec::{FieldValue, PoolField, PoolSpec, PoolType, VolumeField, VolumeSpec};
use crate::Checksum;

/// Keys of a pool table besides the fields of its type.
const POOL_KEYS: &[&str] = &["type", "xml", "build", "start", "autostart", "volume"];

pub(super) fn manifest(src: &Source<'_>, doc: Node) -> Result<Manifest> {
    let mut pools = Vec::new();
    let mut policy = Policy::default();
    for (key, node) in table(src, doc, "manifest")? {
        match key.name.as_str() {
            "pool" => {
                for (i, p) in array(src, node, "pool")?.into_iter().enumerate() {
                    let path = format!("pool[{i}]");
                    let (read, name_span) = pool(src, p, &path)?;
                    if pools
                        .iter()
                        .any(|q: &ManifestPool| q.spec.name() == read.spec.name())
                    {
                        return Err(src.invalid(
                            &name_span,
                            &format!("{path}.name"),
                            format!("pool {:?} is listed twice", read.spec.name()),
                        ));
                    }
                    pools.push(read);
                }
            }
            "policy" => policy = read_policy(src, node)?,
            other => {
                return Err(src.invalid(
                    &key.span,
                    other,
                    "unknown key; a manifest has `pool` and `policy`",
                ))
            }
        }
    }
    Ok(Manifest { pools, policy })
}

fn table(src: &Source<'_>, node: Node, path: &str) -> Result<Vec<(Key, Node)>> {
    match node.value {
        Value::Table(t) => Ok(t),
        other => Err(src.invalid(
            &node.span,
            path,
            format!("must be a table, not {}", other.shape()),
        )),
    }
}

fn array(src: &Source<'_>, node: Node, path: &str) -> Result<Vec<Node>> {
    match node.value {
        Value::Array(a) => Ok(a),
        // `[pool]` (one table) where `[[pool]]` was meant
        other => Err(src.invalid(
            &node.span,
            path,
            format!(
                "must be an array of tables ([[{path}]]), not {}",
                other.shape()
            ),
        )),
    }
}

fn boolean(src: &Source<'_>, node: &Node, path: &str) -> Result<bool> {
    match node.value {
        Value::Bool(b) => Ok(b),
        ref other => Err(src.invalid(
            &node.span,
            path,
            format!("must be true or false, not {}", other.shape()),
        )),
    }
}

fn text<'n>(src: &Source<'_>, node: &'n Node, path: &str) -> Result<&'n str> {
    match &node.value {
        Value::Text(t) => Ok(t),
        other => Err(src.invalid(
            &node.span,
            path,
            format!("must be text, not {}", other.shape()),
        )),
    }
}

fn read_policy(src: &Source<'_>, node: Node) -> Result<Policy> {
    let mut policy = Policy::default();
    for (key, value) in table(src, node, "policy")? {
        let path = format!("policy.{}", key.name);
        let slot = match key.name.as_str() {
            "prune_volumes" => &mut policy.prune_volumes,
            "allow_recreate" => &mut policy.allow_recreate,
            "allow_shrink" => &mut policy.allow_shrink,
            _ => {
                return Err(src.invalid(
                    &key.span,
                    &path,
                    "unknown key; a policy has prune_volumes, allow_recreate and allow_shrink",
                ))
            }
        };
        *slot = boolean(src, &value, &path)?;
    }
    Ok(policy)
}

/// A value as the spec's field values: the spec rules check it.
fn field_value(node: &Node) -> FieldValue {
    match &node.value {
        Value::Text(t) => FieldValue::Text(t.clone()),
        Value::Int(n) => FieldValue::Int(*n),
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Array(items) => {
            let texts: Option<Vec<String>> = items
                .iter()
                .map(|i| match &i.value {
                    Value::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            let pairs: Option<Vec<(String, String)>> = items
                .iter()
                .map(|i| match &i.value {
                    Value::Array(p) => match p.as_slice() {
                        [Node {
                            value: Value::Text(a),
                            ..
                        }, Node {
                            value: Value::Text(b),
                            ..
                        }] => Some((a.clone(), b.clone())),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            match (texts, pairs) {
                (Some(t), _) => FieldValue::List(t),
                (None, Some(p)) => FieldValue::Pairs(p),
                (None, None) => FieldValue::Other("an array of mixed values".into()),
            }
        }
        other => FieldValue::Other(other.shape().into()),
    }
}

/// The keys given for fields, with their nodes, to locate what the spec rules refuse.
struct Given<F> {
    fields: Vec<(F, Node)>,
}

impl<F: Copy + PartialEq + AsRef<str>> Given<F> {
    /// The place of a spec error's field (`devices[1]`: the second item of `devices`).
    fn locate(&self, field: &str) -> Option<Range<usize>> {
        let split = field.find(['[', '.']).unwrap_or(field.len());
        let (key, rest) = field.split_at(split);
        let (_, node) = self.fields.iter().find(|(f, _)| f.as_ref() == key)?;
        let index = rest
            .strip_prefix('[')
            .and_then(|r| r.split(']').next())
            .and_then(|i| i.parse::<usize>().ok());
        match (&node.value, index) {
            (Value::Array(items), Some(i)) if i < items.len() => items[i].span.clone(),
            _ => node.span.clone(),
        }
    }

    /// A spec error restated for the manifest: under `path`, at the field's place.
    fn relocate(
        &self,
        src: &Source<'_>,
        path: &str,
        table_span: &Option<Range<usize>>,
        e: Error,
    ) -> Error {
        let Some(field) = e.field().map(str::to_owned) else {
            return e;
        };
        let span = self.locate(&field).or_else(|| table_span.clone());
        e.with_field(format!("{path}.{field}"))
            .context(src.at(&span))
    }
}

impl AsRef<str> for PoolField {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for VolumeField {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// A pool, and where its name is (for a duplicate).
fn pool(src: &Source<'_>, node: Node, path: &str) -> Result<(ManifestPool, Option<Range<usize>>)> {
    let span = node.span.clone();
    let entries = table(src, node, path)?;
    let name_span = entries
        .iter()
        .find(|(k, _)| k.name == "name" || k.name == "xml")
        .map_or(span.clone(), |(_, v)| v.span.clone());
    let find = |name: &str| entries.iter().find(|(k, _)| k.name == name);
    let mut out = ManifestPool {
        spec: PoolSpec::from(crate::DirPool::new("", "/")),
        build: BuildPolicy::default(),
        start: true,
        autostart: None,
        volumes: Vec::new(),
    };
    if let Some((_, v)) = find("build") {
        let p = format!("{path}.build");
        out.build = match text(src, v, &p)? {
            "never" => BuildPolicy::Never,
            mode => BuildPolicy::Always(
                mode.parse::<BuildMode>()
                    .map_err(|e| src.invalid(&v.span, &p, format!("{e}, or never")))?,
            ),
        };
    }
    if let Some((_, v)) = find("start") {
        out.start = boolean(src, v, &format!("{path}.start"))?;
    }
    if let Some((_, v)) = find("autostart") {
        out.autostart = Some(boolean(src, v, &format!("{path}.autostart"))?);
    }
    out.spec = match find("xml") {
        Some((k, v)) => pool_from_xml(src, &entries, k, v, path)?,
        None => pool_from_fields(src, &entries, &span, path)?,
    };
    if let Some((_, v)) = find("volume") {
        let p = format!("{path}.volume");
        for (i, vol) in array(src, v.clone(), &p)?.into_iter().enumerate() {
            let vpath = format!("{p}[{i}]");
            let (read, vol_name_span) = volume(src, vol, &vpath)?;
            if out.volumes.iter().any(|w| w.spec.name == read.spec.name) {
                return Err(src.invalid(
                    &vol_name_span,
                    &format!("{vpath}.name"),
                    format!(
                        "volume {:?} is listed twice in pool {:?}",
                        read.spec.name,
                        out.spec.name()
                    ),
                ));
            }
            out.volumes.push(read);
        }
    }
    Ok((out, name_span))
}

fn pool_from_xml(
    src: &Source<'_>,
    entries: &[(Key, Node)],
    key: &Key,
    node: &Node,
    path: &str,
) -> Result<PoolSpec> {
    if let Some((k, _)) = entries
        .iter()
        .find(|(k, _)| !POOL_KEYS.contains(&k.name.as_str()))
    {
        return Err(src.invalid(
            &k.span,
            &format!("{path}.{}", k.name),
            "a pool given as xml takes its fields from the XML; give either xml or fields",
        ));
    }
    if let Some((k, _)) = entries.iter().find(|(k, _)| k.name == "type") {
        return Err(src.invalid(
            &k.span,
            &format!("{path}.type"),
            "a pool given as xml takes its type from the XML",
        ));
    }
    let p = format!("{path}.{}", key.name);
    let xml = text(src, node, &p)?;
    let located = |e: Error| {
        let field = e.field().unwrap_or("xml").to_owned();
        e.with_field(format!("{p}.{field}"))
            .context(src.at(&node.span))
    };
    let spec = PoolSpec::from_xml(xml).map_err(located)?;
    spec.validate().map_err(located)?;
    Ok(spec)
}

fn pool_from_fields(
    src: &Source<'_>,
    entries: &[(Key, Node)],
    span: &Option<Range<usize>>,
    path: &str,
) -> Result<PoolSpec> {
    let Some((type_key, type_node)) = entries.iter().find(|(k, _)| k.name == "type") else {
        return Err(src.invalid(
            span,
            &format!("{path}.type"),
            "is required (or give the pool as xml)",
        ));
    };
    let type_path = format!("{path}.{}", type_key.name);
    let ty: PoolType = text(src, type_node, &type_path)?
        .parse()
        .map_err(|e| src.invalid(&type_node.span, &type_path, e))?;
    let mut given = Given { fields: Vec::new() };
    for (key, node) in entries {
        if POOL_KEYS.contains(&key.name.as_str()) {
            continue;
        }
        let field = key
            .name
            .parse::<PoolField>()
            .ok()
            .filter(|f| ty.has_field(*f))
            .ok_or_else(|| {
                let known: Vec<_> = ty.fields().iter().map(|r| r.field.as_str()).collect();
                src.invalid(
                    &key.span,
                    &format!("{path}.{}", key.name),
                    format!(
                        "{ty} pools have no such field; they have {}",
                        known.join(", ")
                    ),
                )
            })?;
        given.fields.push((field, node.clone()));
    }
    let fields = given.fields.iter().map(|(f, n)| (*f, field_value(n)));
    PoolSpec::from_fields(ty, fields.collect::<Vec<_>>())
        .map_err(|e| given.relocate(src, path, span, e))
}

/// A volume, and where its name is (for a duplicate).
fn volume(
    src: &Source<'_>,
    node: Node,
    path: &str,
) -> Result<(ManifestVolume, Option<Range<usize>>)> {
    let span = node.span.clone();
    let mut given = Given { fields: Vec::new() };
    let mut image: Option<ManifestImage> = None;
    let mut sums = Vec::new();
    for (key, value) in table(src, node, path)? {
        let vpath = format!("{path}.{}", key.name);
        match key.name.as_str() {
            "image" => {
                image = Some(ManifestImage {
                    source: text(src, &value, &vpath)?.to_owned(),
                    checksums: Vec::new(),
                });
                continue;
            }
            "sha256" | "sha512" => {
                let hex = text(src, &value, &vpath)?;
                let sum = Checksum::parse(&format!("{}:{hex}", key.name), &vpath)
                    .map_err(|e| e.context(src.at(&value.span)))?;
                sums.push((sum, key.span.clone()));
                continue;
            }
            _ => {}
        }
        let field = key.name.parse::<VolumeField>().map_err(|_| {
            let known: Vec<_> = VolumeField::ALL.iter().map(|f| f.as_str()).collect();
            src.invalid(
                &key.span,
                &format!("{path}.{}", key.name),
                format!(
                    "a volume has no such field; it has {}, image, sha256, sha512",
                    known.join(", ")
                ),
            )
        })?;
        given.fields.push((field, value));
    }
    if let (None, Some((_, key_span))) = (&image, sums.first()) {
        return Err(src.invalid(
            key_span,
            &format!("{path}.sha256"),
            "a checksum needs an image",
        ));
    }
    let mut fields: Vec<_> = given
        .fields
        .iter()
        .map(|(f, n)| (*f, field_value(n)))
        .collect();
    if image.is_some() && !fields.iter().any(|(f, _)| *f == VolumeField::Capacity) {
        // the image's virtual size, found when it is imported
        fields.push((VolumeField::Capacity, FieldValue::Int(0)));
    }
    let spec = VolumeSpec::from_fields(fields).map_err(|e| given.relocate(src, path, &span, e))?;
    if let Some(image) = &mut image {
        image.checksums = sums.into_iter().map(|(s, _)| s).collect();
    }
    let name_span = given.locate("name").or(span);
    Ok((ManifestVolume { spec, image }, name_span))
}
