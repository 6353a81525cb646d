//! The desktop shell of the inspector app: opens the device engine in a data folder, starts its
//! background sync, and shows the screens in a WebKit window. The same screens run on Android
//! and iOS through the Dioxus CLI (README); nothing here is desktop-only but the window.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
#[cfg(feature = "desktop")]
use dioxus::desktop as shell;
#[cfg(all(feature = "mobile", not(feature = "desktop")))]
use dioxus::mobile as shell;
use dioxus::prelude::*;
use plumbline_app::Engine;
use plumbline_app::ui::{AppContext, InspectorApp};
use plumbline_shared::clock::Clock;
use plumbline_shared::time::Timestamp;

/// Plumbline, the inspector's app.
#[derive(Debug, Parser)]
#[command(name = "plumbline-app", version, about)]
struct Args {
    /// Where the device keeps its records and photos (created if missing).
    #[arg(long, env = "PLUMBLINE_APP_DATA", default_value = "plumbline-device")]
    data: PathBuf,
    /// A folder of camera photos to pick evidence from (the phone's camera roll; on a desktop,
    /// wherever the camera's pictures are copied).
    #[arg(long, env = "PLUMBLINE_APP_PHOTOS")]
    photos: Option<PathBuf>,
    /// A server address to offer on the enroll screen.
    #[arg(long, env = "PLUMBLINE_APP_SERVER")]
    server: Option<String>,
    /// Window size in logical pixels; the default is a phone's screen.
    #[arg(long, default_value_t = 390)]
    width: u32,
    /// Window height in logical pixels.
    #[arg(long, default_value_t = 760)]
    height: u32,
    /// Start the device's clock at this instant (RFC 3339) instead of the machine's time; it
    /// runs at real speed from there. For tests and rehearsals against a server started the
    /// same way.
    #[arg(long, value_name = "INSTANT")]
    clock_from: Option<chrono::DateTime<chrono::FixedOffset>>,
}

mod probe;

/// The environment variable that turns on the layout probe (see [`probe`]).
const PROBE_ENV: &str = "PLUMBLINE_UI_PROBE";

/// How often the background loop syncs when nothing else wakes it.
const SYNC_EVERY: Duration = Duration::from_secs(60);

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let started = std::time::Instant::now();
    let clock = match args.clock_from {
        Some(at) => Clock::flowing_from(Timestamp(at.timestamp_millis())),
        None => Clock::system(),
    };
    let engine = Engine::open(&args.data, clock)
        .with_context(|| format!("opening the device's data in {}", args.data.display()))?;
    // The window's event loop runs inside this runtime (Dioxus desktop uses the current one),
    // and so do the engine's background sync and photo work.
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let _entered = runtime.enter();
    engine.start(SYNC_EVERY);
    let context = AppContext {
        engine,
        photo_folder: args.photos.or_else(default_photo_folder),
        started,
        server_hint: args.server,
    };
    let window = shell::WindowBuilder::new()
        .with_title("Plumbline 验房")
        .with_inner_size(shell::LogicalSize::new(args.width, args.height));
    #[cfg(feature = "desktop")]
    let launcher = dioxus::LaunchBuilder::desktop();
    #[cfg(all(feature = "mobile", not(feature = "desktop")))]
    let launcher = dioxus::LaunchBuilder::mobile();
    launcher
        .with_cfg(
            shell::Config::new()
                .with_window(window)
                .with_menu(None)
                .with_data_directory(args.data.join("webview"))
                .with_custom_head(plumbline_app::ui::style::HEAD.to_owned()),
        )
        .with_context(context)
        .launch(DesktopRoot);
    Ok(())
}

/// The app, plus the layout probe when `PLUMBLINE_UI_PROBE` names a file.
#[allow(non_snake_case)]
fn DesktopRoot() -> Element {
    use_future(|| async {
        if let Some(path) = std::env::var_os(PROBE_ENV) {
            probe::run(PathBuf::from(path)).await;
        }
    });
    rsx! { InspectorApp {} }
}

/// The user's pictures folder (`$XDG_PICTURES_DIR` is not parsed: `~/Pictures` is what
/// desktops create by default).
fn default_photo_folder() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .map(|home| home.join("Pictures"))
        .filter(|p| p.is_dir())
}
