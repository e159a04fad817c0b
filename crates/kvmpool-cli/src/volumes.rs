//! vol-* commands.

use kvmpool_core::{
    volume_entries_json, Checksum, DeleteMode, Error, ImportOptions, InventoryOptions, Resize,
    Result, Size, TransferOptions, Volume, VolumeField, VolumeSpec,
};

use crate::cli::*;
use crate::context::Ctx;
use crate::output;
use crate::pools::{fields, volume_table};
use crate::transfer::Progress;

pub fn list(ctx: &Ctx, a: &VolListArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool.pool)?;
    let options = InventoryOptions {
        method: a.method.method,
        ..InventoryOptions::default()
    };
    let vols = pool.volume_details_with(&options)?;
    if a.json {
        return output::println(&volume_entries_json(&vols));
    }
    output::print(&volume_table(&vols, a.details, false))
}

pub fn info(ctx: &Ctx, a: &VolInfoArgs) -> Result<()> {
    let vol = ctx.volume(&a.vol.vol, a.vol.pool.as_deref())?;
    let entry = vol.entry(false)?;
    if a.json {
        return output::println(
            &serde_json::to_string_pretty(&entry).expect("volume entries serialise"),
        );
    }
    let size = |s: Size| {
        if a.bytes {
            format!("{} bytes", s.as_bytes())
        } else {
            s.to_virsh_string()
        }
    };
    let mut lines = vec![
        ("Name:", entry.name.clone()),
        ("Type:", entry.volume_type.as_str().to_owned()),
        ("Capacity:", size(entry.capacity)),
    ];
    if a.physical {
        let physical = vol.physical()?;
        lines.push(("Physical:", size(physical)));
    } else {
        lines.push(("Allocation:", size(entry.allocation)));
    }
    output::print(&fields(&lines))
}

pub fn dumpxml(ctx: &Ctx, a: &VolArg) -> Result<()> {
    let vol = ctx.volume(&a.vol, a.pool.as_deref())?;
    let xml = vol.xml()?;
    output::println(&xml)
}

pub fn key(ctx: &Ctx, a: &VolArg) -> Result<()> {
    let vol = ctx.volume(&a.vol, a.pool.as_deref())?;
    output::println(vol.key())
}

pub fn path(ctx: &Ctx, a: &VolArg) -> Result<()> {
    let vol = ctx.volume(&a.vol, a.pool.as_deref())?;
    let path = vol.path()?;
    output::println(&path)
}

pub fn name(ctx: &Ctx, a: &VolIdArg) -> Result<()> {
    let vol = ctx.volume(&a.vol, None)?;
    output::println(vol.name())
}

pub fn pool(ctx: &Ctx, a: &VolPoolArgs) -> Result<()> {
    let vol = ctx.volume(&a.vol.vol, None)?;
    let pool = vol.pool()?;
    if a.uuid {
        output::println(&pool.uuid().hyphenated().to_string())
    } else {
        output::println(pool.name())
    }
}

// --- changing ----------------------------------------------------------------------

pub fn create_as(ctx: &Ctx, a: &VolCreateAsArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool.pool)?;
    let backing = match &a.backing_vol {
        Some(b) => Some(pool.backing_path(b)?),
        None => None,
    };
    let mut options: Vec<(&str, &str)> = Vec::new();
    let given = [
        ("allocation", a.allocation.as_deref()),
        ("format", a.format.as_deref()),
        ("backing-vol", backing.as_deref()),
        ("backing-vol-format", a.backing_vol_format.as_deref()),
        ("prealloc-metadata", a.prealloc_metadata.then_some("")),
    ];
    for (option, value) in given {
        if let Some(v) = value {
            options.push((option, v));
        }
    }
    let spec = VolumeSpec::from_virsh_args(&a.name, &a.capacity, &options)?;
    if a.print_xml {
        let ty = pool.pool_type()?;
        return output::println(&spec.to_xml_in(ty));
    }
    let vol = pool.create_volume(&spec)?;
    output::println(&format!("Vol {} created", vol.name()))
}

fn with_prealloc_metadata(mut spec: VolumeSpec, on: bool) -> Result<VolumeSpec> {
    if on {
        spec.set(VolumeField::Preallocation, "metadata")?;
    }
    Ok(spec)
}

pub fn create(ctx: &Ctx, a: &VolCreateArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool.pool)?;
    let xml = output::read_file(&a.file)?;
    let vol = if a.prealloc_metadata {
        let spec = with_prealloc_metadata(VolumeSpec::from_xml(&xml)?, true)?;
        pool.create_volume(&spec)?
    } else {
        pool.create_volume_xml(&xml)?
    };
    output::println(&format!(
        "Vol {} created from {}",
        vol.name(),
        a.file.display()
    ))
}

pub fn create_from(ctx: &Ctx, a: &VolCreateFromArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool.pool)?;
    let xml = output::read_file(&a.file)?;
    let spec = with_prealloc_metadata(VolumeSpec::from_xml(&xml)?, a.prealloc_metadata)?;
    let source = ctx.volume(&a.vol, a.inputpool.as_deref())?;
    let vol = pool.create_volume_from(&spec, &source)?;
    output::println(&format!(
        "Vol {} created from input vol {}",
        vol.name(),
        source.name()
    ))
}

pub fn clone(ctx: &Ctx, a: &VolCloneArgs) -> Result<()> {
    let vol = ctx.volume(&a.vol.vol, a.vol.pool.as_deref())?;
    let copy = vol.clone_as(&a.newname, a.reflink)?;
    output::println(&format!("Vol {} cloned from {}", copy.name(), vol.name()))
}

pub fn delete(ctx: &Ctx, a: &VolArg) -> Result<()> {
    let vol = ctx.volume(&a.vol, a.pool.as_deref())?;
    vol.delete(DeleteMode::Normal)?;
    output::println(&format!("Vol {} deleted", a.vol))
}

pub fn resize(ctx: &Ctx, a: &VolResizeArgs) -> Result<()> {
    let resize = Resize::from_virsh(&a.capacity, a.delta, a.shrink, a.allocate)?;
    let vol = ctx.volume(&a.vol.vol, a.vol.pool.as_deref())?;
    vol.resize(resize)?;
    output::println(&format!(
        "Size of volume '{}' successfully changed to {}",
        vol.name(),
        a.capacity
    ))
}

pub fn wipe(ctx: &Ctx, a: &VolWipeArgs) -> Result<()> {
    let vol = ctx.volume(&a.vol.vol, a.vol.pool.as_deref())?;
    let algorithm = a.algorithm.unwrap_or_default();
    vol.wipe(algorithm)?;
    output::println(&format!("Vol {} wiped", a.vol.vol))
}

fn transfer_options(a: &TransferArgs) -> TransferOptions {
    let mut options = TransferOptions::default()
        .sparse(a.sparse)
        .offset(a.offset)
        .method(a.method);
    if let Some(length) = a.length {
        options = options.length(length);
    }
    options
}

/// Run a transfer with progress; the outcome is the core's (Cancelled on Ctrl-C).
fn transfer(
    vol: &Volume,
    verb: &'static str,
    a: &TransferArgs,
    f: impl FnOnce(&TransferOptions) -> Result<kvmpool_core::TransferReport>,
) -> Result<()> {
    let progress = Progress::start(verb, vol.name());
    let options = progress.options(transfer_options(a));
    let outcome = f(&options);
    progress.finish(outcome.as_ref().ok());
    outcome.map(drop)
}

pub fn upload(ctx: &Ctx, a: &TransferArgs) -> Result<()> {
    let vol = ctx.volume(&a.vol, a.pool.as_deref())?;
    transfer(&vol, "uploaded", a, |o| vol.upload_file(&a.file, o))
}

pub fn download(ctx: &Ctx, a: &TransferArgs) -> Result<()> {
    let vol = ctx.volume(&a.vol, a.pool.as_deref())?;
    transfer(&vol, "downloaded", a, |o| vol.download_file(&a.file, o))
}

/// The checksum options as the core reads them (`sha256:HEX`).
fn import_options(a: &ImportArgs) -> Result<ImportOptions> {
    let mut o = ImportOptions::default()
        .sparse(!a.no_sparse)
        .overwrite(a.overwrite);
    if let Some(name) = &a.name {
        o = o.name(name.clone());
    }
    if let Some(format) = &a.format {
        o = o.format(format.parse().map_err(|e| Error::invalid("--format", e))?);
    }
    if let Some(capacity) = &a.capacity {
        o = o.capacity(Size::parse(capacity).map_err(|e| e.with_field("--capacity"))?);
    }
    for (alg, hex) in [("sha256", &a.sha256), ("sha512", &a.sha512)] {
        if let Some(hex) = hex {
            o = o.checksum(Checksum::parse(
                &format!("{alg}:{hex}"),
                &format!("--{alg}"),
            )?);
        }
    }
    if let Some(format) = &a.convert_to {
        o = o.convert_to(
            format
                .parse()
                .map_err(|e| Error::invalid("--convert-to", e))?,
        );
    }
    if let Some(vol) = &a.allow_backing {
        o = o.allow_backing(vol.clone());
    }
    Ok(o)
}

pub fn import(ctx: &Ctx, a: &ImportArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool)?;
    let progress = Progress::start("imported", &a.source);
    let options = progress.import_options(import_options(a)?);
    let outcome = pool.import_image(&a.source, &options);
    progress.finish(outcome.as_ref().ok().map(|(_, r)| &r.transfer));
    let (vol, _) = outcome?;
    output::println(&format!("Vol {} imported", vol.name()))
}
