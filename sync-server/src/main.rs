//! `plumbline-sync-server`: serve, run the demo, administer, rebuild case records.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use plumbline_shared::clock::Clock;
use plumbline_shared::ids::{ContractorId, DeviceId, ProjectId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use plumbline_shared::units_csv::{self, ImportErrors};
use plumbline_sync_server::config::{Config, DEFAULT_CONFIG, DbOverride, Overrides};
use plumbline_sync_server::state::AppState;
use plumbline_sync_server::store::Membership;
use plumbline_sync_server::{
    account_admin, build_state, demo, launch, project_create, reindex, unit_import,
};
use tokio::net::TcpListener;

#[derive(Debug, Parser)]
#[command(
    name = "plumbline-sync-server",
    version,
    about = "Plumbline sync server"
)]
struct Cli {
    /// Configuration file (default: ./plumbline-server.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// The database: `sqlite:<path>` (default: `plumbline.db` in the data folder) or
    /// `postgres://user:password@host:port/name`. Several servers on one PostgreSQL database
    /// are replicas of one service.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Place {
    /// Data folder (database, blobs).
    #[arg(long = "data")]
    data_dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Start the server's clock at this instant (RFC 3339, e.g. 2026-11-27T09:00:00+08:00)
    /// instead of the machine's time; it runs at real speed from there. For tests and
    /// rehearsals: every deadline, reminder and page is judged by this clock.
    #[arg(long, value_name = "INSTANT")]
    clock_from: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl Place {
    /// The clock this invocation serves on.
    fn clock(&self) -> Clock {
        match self.clock_from {
            Some(at) => Clock::flowing_from(Timestamp(at.timestamp_millis())),
            None => Clock::system(),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API.
    Serve(Place),
    /// Create the demo project on a fresh data folder (accounts printed once) with three
    /// months of history before today, then serve.
    Demo {
        #[command(flatten)]
        place: Place,
        /// The project and its accounts only, no history.
        #[arg(long)]
        empty: bool,
    },
    /// Administer users, roles, devices and enrollment codes.
    Admin {
        /// Data folder.
        #[arg(long = "data")]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Rebuild the case-record tables from the documents.
    Reindex {
        /// Data folder.
        #[arg(long = "data")]
        data_dir: Option<PathBuf>,
    },
    /// Print the default configuration file.
    PrintDefaultConfig,
    /// Check a case's dispute pack (a zip from the case page): every file against the pack's
    /// manifest of BLAKE3 hashes. Names each file that differs; exits with status 1 if any does.
    VerifyPack {
        /// The pack's zip file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Create a user with a role in a project; prints a generated password unless one is given.
    AddUser {
        /// Login name.
        user: UserId,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Project.
        #[arg(long)]
        project: ProjectId,
        /// Role: inspector, manager, coordinator, front_desk, customer_rep, contractor, admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The contractor company, for the contractor role.
        #[arg(long)]
        contractor: Option<ContractorId>,
        /// Password (read from PLUMBLINE_NEW_PASSWORD when not given here, else generated).
        #[arg(long, env = "PLUMBLINE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Give a user a role in a project.
    Grant {
        /// Login name.
        user: UserId,
        /// Project.
        #[arg(long)]
        project: ProjectId,
        /// Role.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The contractor company, for the contractor role.
        #[arg(long)]
        contractor: Option<ContractorId>,
    },
    /// Issue a one-time enrollment code for a user's device.
    Code {
        /// Login name.
        user: UserId,
    },
    /// List devices.
    Devices,
    /// Revoke a device; its next request is refused.
    Revoke {
        /// Device id.
        device: DeviceId,
    },
    /// Create a project: the standard checklist, default workflow settings, the contractor
    /// companies of another project when asked, and the buildings and units of a units CSV
    /// when given. Everything is checked first; a problem creates nothing.
    CreateProject {
        /// Its id: lowercase letters, digits and dashes (`licheng-2`).
        #[arg(long)]
        id: ProjectId,
        /// Its Chinese name (郦城二期).
        #[arg(long)]
        name_zh: String,
        /// Its English name (Licheng II).
        #[arg(long)]
        name_en: String,
        /// Engage the contractor companies of this project too.
        #[arg(long)]
        contractors_from: Option<ProjectId>,
        /// A units CSV (the format of `import-units`) with its buildings and units.
        #[arg(long)]
        units: Option<PathBuf>,
    },
    /// Add buildings and units to a project from a UTF-8 CSV file with the header
    /// `building_id,building_name,floors,unit_id,unit_label,floor,position,handover`.
    /// Every bad row is listed by line number, and then nothing is imported.
    ImportUnits {
        /// Project.
        #[arg(long)]
        project: ProjectId,
        /// The CSV file.
        file: PathBuf,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role `{s}`; use one of {}", names.join(", "))
    })
}

/// `admin import-units`: prints what was added, or every problem and fails.
async fn import_units(
    state: &AppState,
    project: &ProjectId,
    file: &std::path::Path,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let result = match units_csv::decode(&bytes) {
        Ok(text) => unit_import::import_units(state, project, text).await,
        Err(errors) => {
            tracing::warn!(
                file = %file.display(),
                problems = errors.0.len(),
                "unit import refused; nothing stored"
            );
            Err(errors.into())
        }
    };
    match result {
        Ok(summary) => {
            writeln!(
                out,
                "{}: imported into project {project}: {summary}",
                file.display()
            )?;
            Ok(())
        }
        Err(e) => match e.downcast_ref::<ImportErrors>() {
            Some(errors) => {
                let mut err = std::io::stderr().lock();
                for problem in &errors.0 {
                    writeln!(err, "{}: {problem}", file.display())?;
                }
                let n = errors.0.len();
                anyhow::bail!(
                    "nothing was imported: {} has {n} problem{} (listed above); fix them and run \
                     the import again",
                    file.display(),
                    if n == 1 { "" } else { "s" }
                )
            }
            None => Err(e),
        },
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

fn start_metrics(config: &Config) -> anyhow::Result<()> {
    if config.metrics_listen.is_empty() {
        return Ok(());
    }
    let addr: SocketAddr = config.metrics_listen.parse()?;
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .with_context(|| format!("starting the metrics listener on {addr}"))?;
    tracing::info!(%addr, "Prometheus metrics listening");
    Ok(())
}

async fn serve(config: Config, clock: Clock, demo: Option<demo::Start>) -> anyhow::Result<()> {
    start_metrics(&config)?;
    let listen = config.listen;
    let state = build_state(config, clock).await?;
    if let Some(start) = demo {
        demo::create(&state, start, &mut std::io::stdout().lock()).await?;
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    launch(state, listener, shutdown_signal()).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // automerge logs whole change graphs at INFO while loading; that formatting cost
                // most of a cold server's first sync.
                .unwrap_or_else(|_| "info,tower_http=info,automerge=warn".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let load = |data_dir: Option<PathBuf>, listen: Option<SocketAddr>| {
        let db = cli.database.clone().map(|url| DbOverride { url });
        Config::load(
            cli.config.as_deref(),
            &Overrides {
                data_dir,
                listen,
                db,
            },
        )
    };
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::PrintDefaultConfig => out.write_all(DEFAULT_CONFIG.as_bytes())?,
        Command::VerifyPack { file } => {
            let opened = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let report =
                plumbline_sync_server::dispute_pack::verify(std::io::BufReader::new(opened))
                    .with_context(|| format!("reading {}", file.display()))?;
            writeln!(out, "manifest BLAKE3: {}", report.manifest_b3)?;
            for problem in &report.problems {
                writeln!(out, "{problem}")?;
            }
            if report.problems.is_empty() {
                writeln!(out, "OK: all {} files match the manifest", report.listed)?;
            } else {
                writeln!(
                    out,
                    "ALTERED: {} of {} listed files do not match",
                    report.problems.len(),
                    report.listed
                )?;
                out.flush()?;
                std::process::exit(1);
            }
        }
        Command::Serve(p) => {
            drop(out);
            let clock = p.clock();
            serve(load(p.data_dir, p.listen)?, clock, None).await?
        }
        Command::Demo { place: p, empty } => {
            drop(out);
            let clock = p.clock();
            let start = if empty {
                demo::Start::Empty
            } else {
                demo::Start::WithHistory
            };
            serve(load(p.data_dir, p.listen)?, clock, Some(start)).await?
        }
        Command::Reindex { data_dir } => {
            let state = build_state(load(data_dir, None)?, Clock::system()).await?;
            let n = reindex::reindex(&state).await?;
            writeln!(out, "rebuilt the case records of {n} units")?;
        }
        Command::Admin { data_dir, action } => {
            let state = build_state(load(data_dir, None)?, Clock::system()).await?;
            match action {
                AdminAction::AddUser {
                    user,
                    name,
                    project,
                    role,
                    contractor,
                    password,
                } => {
                    let given = password.is_some();
                    let password = account_admin::add_user(
                        &state,
                        &user,
                        &name,
                        password.as_deref(),
                        Membership {
                            project,
                            role,
                            contractor,
                        },
                    )
                    .await?;
                    if given {
                        writeln!(out, "created {user}")?;
                    } else {
                        writeln!(out, "created {user}; password (shown once): {password}")?;
                    }
                }
                AdminAction::Grant {
                    user,
                    project,
                    role,
                    contractor,
                } => {
                    account_admin::grant(&state, &user, &project, role, contractor).await?;
                    writeln!(out, "{user} is now {} in {project}", role.as_str())?;
                }
                AdminAction::Code { user } => {
                    let code = account_admin::enrollment_code(&state, &user).await?;
                    writeln!(out, "enrollment code for {user}: {code}")?;
                }
                AdminAction::Devices => {
                    for d in state.store.devices().await? {
                        let status = match d.revoked_at {
                            Some(t) => format!("revoked {t}"),
                            None => "active".into(),
                        };
                        let seen = d
                            .last_seen
                            .map_or_else(|| "never seen".to_owned(), |t| format!("last seen {t}"));
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}",
                            d.device, d.user, d.name, status, seen
                        )?;
                    }
                }
                AdminAction::Revoke { device } => {
                    account_admin::revoke(&state, &device).await?;
                    writeln!(out, "revoked {device}")?;
                }
                AdminAction::ImportUnits { project, file } => {
                    import_units(&state, &project, &file, &mut out).await?;
                }
                AdminAction::CreateProject {
                    id,
                    name_zh,
                    name_en,
                    contractors_from,
                    units,
                } => {
                    let units_csv = match &units {
                        Some(file) => {
                            let bytes = std::fs::read(file)
                                .with_context(|| format!("reading {}", file.display()))?;
                            let text = units_csv::decode(&bytes).map_err(|errors| {
                                anyhow::anyhow!("{}: {errors}; nothing was created", file.display())
                            })?;
                            Some(text.to_owned())
                        }
                        None => None,
                    };
                    let new = project_create::NewProject {
                        id,
                        name_zh,
                        name_en,
                        contractors_from,
                        units_csv,
                    };
                    let project = project_create::create_project(&state, new, None)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}; nothing was created"))?;
                    writeln!(
                        out,
                        "created project {} ({} / {}): {} buildings, {} units, {} contractor companies",
                        project.id,
                        project.name_zh,
                        project.name_en,
                        project.buildings.len(),
                        project.units().count(),
                        project.contractors.len()
                    )?;
                }
            }
        }
    }
    Ok(())
}
