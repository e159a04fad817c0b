//! `kvmpool`: the command line of the kvmpool library. A thin front end: it converts
//! arguments, calls kvmpool-core, prints, and maps errors to exit statuses
//! ([`exit`]); every rule, default and message about pools and volumes is core's.

mod cli;
mod context;
mod declarative;
mod exit;
mod fleet;
mod log;
mod output;
mod pools;
mod table;
mod transfer;
mod volumes;

use std::process::ExitCode;

use clap::FromArgMatches;
use kvmpool_core::Result;

use cli::{Cli, Command};
use context::Ctx;

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    log::init(cli.verbose);
    transfer::install_interrupt_handler();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(exit::code(e.kind()))
        }
    }
}

/// Run one command; the exit status when it succeeded (drift and apply have more
/// than one).
fn run(cli: Cli) -> Result<u8> {
    if let Some(hosts) = fleet::hosts(&cli.connect, cli.hosts.as_deref())? {
        return fleet::run(&hosts, &cli.command);
    }
    let ctx = Ctx::new(cli.connect.into_iter().next());
    match &cli.command {
        Command::PoolList(a) => pools::list(&ctx, a),
        Command::PoolInfo(a) => pools::info(&ctx, a),
        Command::PoolDumpxml(a) => pools::dumpxml(&ctx, a),
        Command::PoolUuid(a) => pools::uuid(&ctx, a),
        Command::PoolName(a) => pools::name(&ctx, a),
        Command::FindStoragePoolSourcesAs(a) => pools::find_sources(&ctx, a),
        Command::PoolCapabilities(a) => pools::capabilities(&ctx, a),
        Command::Inventory(a) => pools::inventory(&ctx, a),
        Command::PoolDefineAs(a) => pools::define_as(&ctx, a),
        Command::PoolCreateAs(a) => pools::create_as(&ctx, a),
        Command::PoolDefine(a) => pools::define(&ctx, a),
        Command::PoolCreate(a) => pools::create(&ctx, a),
        Command::PoolBuild(a) => pools::build(&ctx, a),
        Command::PoolStart(a) => pools::start(&ctx, a),
        Command::PoolDestroy(a) => pools::destroy(&ctx, a),
        Command::PoolDelete(a) => pools::delete(&ctx, a),
        Command::PoolUndefine(a) => pools::undefine(&ctx, a),
        Command::PoolRefresh(a) => pools::refresh(&ctx, a),
        Command::PoolAutostart(a) => pools::autostart(&ctx, a),
        Command::VolList(a) => volumes::list(&ctx, a),
        Command::VolInfo(a) => volumes::info(&ctx, a),
        Command::VolDumpxml(a) => volumes::dumpxml(&ctx, a),
        Command::VolKey(a) => volumes::key(&ctx, a),
        Command::VolPath(a) => volumes::path(&ctx, a),
        Command::VolName(a) => volumes::name(&ctx, a),
        Command::VolPool(a) => volumes::pool(&ctx, a),
        Command::VolCreateAs(a) => volumes::create_as(&ctx, a),
        Command::VolCreate(a) => volumes::create(&ctx, a),
        Command::VolCreateFrom(a) => volumes::create_from(&ctx, a),
        Command::VolClone(a) => volumes::clone(&ctx, a),
        Command::VolDelete(a) => volumes::delete(&ctx, a),
        Command::VolResize(a) => volumes::resize(&ctx, a),
        Command::VolWipe(a) => volumes::wipe(&ctx, a),
        Command::VolUpload(a) => volumes::upload(&ctx, a),
        Command::VolDownload(a) => volumes::download(&ctx, a),
        Command::Import(a) => volumes::import(&ctx, a),
        Command::Plan(a) => return declarative::plan(&ctx, a),
        Command::Apply(a) => return declarative::apply(&ctx, a),
        Command::Drift(a) => return declarative::drift(&ctx, a),
        Command::Completions(a) => completions(a.shell),
        Command::Man => man(),
    }
    .map(|()| exit::OK)
}

fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "kvmpool", &mut script);
    output::print(&String::from_utf8_lossy(&script))
}

/// The man page: clap_mangen's sections from the same definitions, with the exit
/// status table as a section of its own.
fn man() -> Result<()> {
    let page = clap_mangen::Man::new(cli::Cli::command_for_man());
    let mut roff = Vec::new();
    let io = |e| kvmpool_core::Error::io("cannot render the man page", e);
    page.render_title(&mut roff).map_err(io)?;
    page.render_name_section(&mut roff).map_err(io)?;
    page.render_synopsis_section(&mut roff).map_err(io)?;
    page.render_description_section(&mut roff).map_err(io)?;
    page.render_options_section(&mut roff).map_err(io)?;
    page.render_subcommands_section(&mut roff).map_err(io)?;
    roff.extend_from_slice(exit::man_section().as_bytes());
    page.render_version_section(&mut roff).map_err(io)?;
    output::print(&String::from_utf8_lossy(&roff))
}
