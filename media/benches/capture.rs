//! The evidence capture pipeline ([`plumbline_media::capture::process_file`]: display image at
//! 2,048 px and thumbnail at 320 px, JPEG quality 80) against libvips' `vipsthumbnail` doing
//! the same work on the same file, as a ratio measured in one run.
//!
//! A benchmark, not a test: it prints medians and peak memory; the figures, the machine and
//! the command are recorded in `docs/benchmarks.md`.
//!
//! The photo is a real camera photograph that Debian ships: `Elephants_5640x3172.jpg` from the
//! `mate-backgrounds` package (17.9 MP, a Sony RX100 IV photo, saved progressive). Workloads:
//!
//! - `capture/baseline`: the photo as a camera writes it, baseline JPEG (`jpegtran -copy all`
//!   of the original; the pixels are the same);
//! - `capture/progressive`: the original progressive file (as a gallery or chat app may hand
//!   it over; a progressive JPEG cannot be decoded row by row);
//! - `capture/orientation6`: the baseline copy with EXIF `Orientation=6` (set by exiftool), as
//!   a phone held upright writes it.
//!
//! For each, our pipeline runs in this process, one capture at a time ([`RUNS`] times after a
//! warm-up; wall clock and this process's CPU time), and `vipsthumbnail` runs twice per
//! repetition, once for the 2,048 px image and once for the 320 px thumbnail, from the same
//! file, with `VIPS_CONCURRENCY=1`, each timed as a whole process (wall clock, and CPU time and
//! peak memory from GNU time). The runs of both alternate, so load from other processes on
//! the machine falls on both alike. Peak memory of ours is measured the same way as vips':
//! this benchmark re-executes itself to capture the photo once in a child process.
//!
//! It needs `vipsthumbnail` (libvips-tools), `jpegtran` (libjpeg-turbo-progs), `exiftool`
//! (libimage-exiftool-perl), GNU `time` (time) and the photo (mate-backgrounds): as root it
//! installs the missing ones with apt-get, otherwise it stops and prints the command.
//!
//! Under `cargo test` (no `--bench` argument) it only runs a capture of a generated photo,
//! so the test run checks that it builds and works without installing anything.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use plumbline_media::capture::{self, CaptureSettings};
use plumbline_shared::time::Timestamp;

/// The photograph, where Debian's mate-backgrounds package puts it.
const PHOTO: &str = "/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg";
/// Measured repetitions per workload, after one warm-up.
const RUNS: usize = 7;
/// Set in the child process: capture this file once and exit.
const CHILD_ENV: &str = "PLUMBLINE_CAPTURE_BENCH_ONE";
const WORKLOADS: [&str; 3] = [
    "capture/baseline",
    "capture/progressive",
    "capture/orientation6",
];

/// What must be present, and the Debian package that brings it.
const NEEDS: [(&str, &str); 5] = [
    (PHOTO, "mate-backgrounds"),
    ("/usr/bin/vipsthumbnail", "libvips-tools"),
    ("/usr/bin/jpegtran", "libjpeg-turbo-progs"),
    ("/usr/bin/exiftool", "libimage-exiftool-perl"),
    ("/usr/bin/time", "time"),
];

fn main() -> Result<()> {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        capture::process_file(Path::new(&path), &CaptureSettings::default(), now())?;
        return Ok(());
    }
    let args = Args::parse(std::env::args().skip(1));
    let selected: Vec<&str> = WORKLOADS
        .into_iter()
        .filter(|w| args.filters.is_empty() || args.filters.iter().any(|f| w.contains(f)))
        .collect();
    if args.list {
        let mut out = std::io::stdout().lock();
        for w in &selected {
            writeln!(out, "{w}: benchmark")?;
        }
        return Ok(());
    }
    if !args.bench {
        return smoke();
    }
    if selected.is_empty() {
        return Ok(());
    }
    install_missing()?;
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let baseline = dir.path().join("baseline.jpg");
    run(Command::new("jpegtran")
        .args(["-copy", "all", "-outfile"])
        .arg(&baseline)
        .arg(PHOTO))?;
    let oriented = dir.path().join("orientation6.jpg");
    run(Command::new("exiftool")
        .args(["-q", "-q", "-n", "-Orientation=6", "-o"])
        .arg(&oriented)
        .arg(&baseline))?;

    let mut results = Vec::new();
    for name in selected {
        let file = match name {
            "capture/baseline" => baseline.clone(),
            "capture/progressive" => PathBuf::from(PHOTO),
            _ => oriented.clone(),
        };
        eprintln!("capture bench: {name}");
        results.push(measure(name, &file, dir.path())?);
    }
    print(&results, &mut std::io::stdout().lock())
}

/// One workload's figures. Times are medians over [`RUNS`].
#[derive(Debug)]
struct Measured {
    name: &'static str,
    ours_wall: Duration,
    ours_cpu: Duration,
    ours_decode: Duration,
    ours_peak_kib: u64,
    ours_size: (u32, u32),
    ours_bytes: usize,
    vips_wall: Duration,
    vips_cpu: Duration,
    vips_peak_kib: u64,
    vips_bytes: u64,
    psnr_db: f64,
}

fn measure(name: &'static str, file: &Path, dir: &Path) -> Result<Measured> {
    let settings = CaptureSettings::default();
    let vips_display = dir.join("vips_display.jpg");
    let vips_thumb = dir.join("vips_thumb.jpg");
    let (mut ours_wall, mut ours_cpu, mut ours_decode) = (vec![], vec![], vec![]);
    let (mut vips_wall, mut vips_cpu, mut vips_peak_kib) = (vec![], vec![], 0);
    let mut ours = None;
    for run in 0..=RUNS {
        let (wall, cpu, photo) = timed(|| capture::process_file(file, &settings, now()))?;
        // Decoding alone, as the pipeline does it (shrink-on-load to cover 2,048 px), to say
        // what dominates.
        let bytes = std::fs::read(file)?;
        let (decode, _, _) = timed(|| {
            let mut decoder = jpeg_decoder::Decoder::new(&bytes[..]);
            decoder.scale(2048, 2048)?;
            decoder.decode()
        })?;
        let display = vips(file, 2048, &vips_display)?;
        let thumb = vips(file, 320, &vips_thumb)?;
        if run == 0 {
            continue; // warm-up: page cache, lazy binding, the CPU's clock
        }
        ours_wall.push(wall);
        ours_cpu.push(cpu);
        ours_decode.push(decode);
        vips_wall.push(display.wall + thumb.wall);
        vips_cpu.push(display.cpu + thumb.cpu);
        vips_peak_kib = vips_peak_kib.max(display.peak_kib).max(thumb.peak_kib);
        ours = Some(photo);
    }
    let photo = ours.context("no measured run")?;
    let exe = std::env::current_exe().context("locating this benchmark's binary")?;
    let mut child = Command::new(exe);
    child.env(CHILD_ENV, file);
    let ours_peak_kib = gnu_time(&mut child)?.peak_kib;

    let theirs = std::fs::read(&vips_display)?;
    let (w, h, vips_pixels) = decode(&theirs)?;
    let (ow, oh, our_pixels) = decode(&photo.display_jpeg)?;
    ensure!(
        (w, h) == (ow, oh),
        "{name}: vipsthumbnail made {w}×{h}, we made {ow}×{oh}"
    );
    Ok(Measured {
        name,
        ours_wall: median(ours_wall),
        ours_cpu: median(ours_cpu),
        ours_decode: median(ours_decode),
        ours_peak_kib,
        ours_size: (photo.width, photo.height),
        ours_bytes: photo.display_jpeg.len(),
        vips_wall: median(vips_wall),
        vips_cpu: median(vips_cpu),
        vips_peak_kib,
        vips_bytes: theirs.len() as u64,
        psnr_db: psnr(&our_pixels, &vips_pixels),
    })
}

fn print(results: &[Measured], out: &mut impl std::io::Write) -> Result<()> {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
    let mib = |kib: u64| format!("{:.0} MiB", kib as f64 / 1024.0);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    writeln!(
        out,
        "\nEvidence capture: median of {RUNS} runs; vips = vipsthumbnail -s 2048 + -s 320, Q=80, \
         VIPS_CONCURRENCY=1\n"
    )?;
    writeln!(
        out,
        "| workload | ours wall | ours CPU | of which decode | vipsthumbnail wall | \
         vipsthumbnail CPU | wall ratio | CPU ratio | ours peak RSS | vips peak RSS |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for r in results {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {} | {} |",
            r.name,
            ms(r.ours_wall),
            ms(r.ours_cpu),
            ms(r.ours_decode),
            ms(r.vips_wall),
            ms(r.vips_cpu),
            ratio(r.ours_wall, r.vips_wall),
            ratio(r.ours_cpu, r.vips_cpu),
            mib(r.ours_peak_kib),
            mib(r.vips_peak_kib),
        )?;
    }
    writeln!(out)?;
    for r in results {
        writeln!(
            out,
            "{}: display {}×{}, ours {} bytes, vips {} bytes; ours vs vips {:.1} dB PSNR",
            r.name, r.ours_size.0, r.ours_size.1, r.ours_bytes, r.vips_bytes, r.psnr_db
        )?;
    }
    Ok(())
}

/// Runs `f`, returning its wall-clock time, this process's CPU time over it (all threads) and
/// its result.
fn timed<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<(Duration, Duration, T)>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let cpu = cpu_time()?;
    let start = Instant::now();
    let value = f()?;
    let wall = start.elapsed();
    Ok((wall, cpu_time()?.saturating_sub(cpu), value))
}

/// This process's user + system CPU time, all threads, from `/proc/self/stat`.
fn cpu_time() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("unexpected /proc/self/stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks =
        |i: usize| -> Result<u64> { Ok(fields.get(i).context("short /proc/self/stat")?.parse()?) };
    // utime and stime are fields 14 and 15, in USER_HZ ticks, 100 a second on Linux (fixed in
    // the user-space ABI whatever the kernel's own HZ).
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// One process's figures, from GNU time.
#[derive(Debug, Clone, Copy)]
struct ProcessRun {
    wall: Duration,
    cpu: Duration,
    peak_kib: u64,
}

/// Runs `command` under GNU time: its wall clock (timed here, to the microsecond), CPU time and
/// peak resident memory.
fn gnu_time(command: &mut Command) -> Result<ProcessRun> {
    let report = tempfile::NamedTempFile::new()?;
    let mut timed = Command::new("/usr/bin/time");
    timed.args(["-f", "%U %S %M", "-o"]).arg(report.path());
    timed.arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let start = Instant::now();
    run(&mut timed)?;
    let wall = start.elapsed();
    let text = std::fs::read_to_string(report.path())?;
    let [user, system, peak] = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| anyhow::anyhow!("unexpected GNU time output {text:?}"))?;
    let seconds = |s: &str| -> Result<Duration> { Ok(Duration::from_secs_f64(s.parse()?)) };
    Ok(ProcessRun {
        wall,
        cpu: seconds(user)? + seconds(system)?,
        peak_kib: peak.parse()?,
    })
}

/// `vipsthumbnail` making a `size` px JPEG at quality 80, without metadata (as ours), on one
/// thread.
fn vips(file: &Path, size: u32, out: &Path) -> Result<ProcessRun> {
    let mut command = Command::new("vipsthumbnail");
    command
        .arg(file)
        .args(["-s", &size.to_string(), "-o"])
        .arg(format!("{}[Q=80,strip]", out.display()))
        .env("VIPS_CONCURRENCY", "1");
    gnu_time(&mut command)
}

fn run(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

/// Installs the Debian packages of whatever in [`NEEDS`] is missing, as root; otherwise stops
/// with the command to run.
fn install_missing() -> Result<()> {
    let mut packages: Vec<&str> = NEEDS
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    packages.dedup();
    if packages.is_empty() {
        return Ok(());
    }
    let command = format!("apt-get install -y {}", packages.join(" "));
    if !is_root()? {
        bail!("the capture benchmark needs {packages:?}: run `sudo {command}`, then run it again");
    }
    eprintln!("capture bench: {command}");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
    };
    if !install()?.success() {
        // A fresh machine's package lists may be missing or stale.
        eprintln!("capture bench: apt-get update");
        let updated = Command::new("apt-get").arg("update").status()?;
        ensure!(updated.success(), "`apt-get update` failed");
        ensure!(install()?.success(), "`{command}` failed");
    }
    for (path, package) in NEEDS {
        ensure!(
            Path::new(path).exists(),
            "{path} is still missing after installing {package}"
        );
    }
    Ok(())
}

/// Whether this process runs as root (effective uid 0, from `/proc/self/status`).
fn is_root() -> Result<bool> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .context("no Uid line in /proc/self/status")?;
    Ok(uid == "0")
}

/// Under `cargo test`: one capture of a generated photo, at small sizes (unoptimised build).
fn smoke() -> Result<()> {
    let (w, h) = (1200_u16, 900_u16);
    let pixels: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i % 251) as u8)
        .collect();
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90).encode(
        &pixels,
        w,
        h,
        jpeg_encoder::ColorType::Rgb,
    )?;
    let settings = CaptureSettings {
        max_edge: 256,
        thumb_edge: 64,
        ..CaptureSettings::default()
    };
    let photo = capture::process(&jpeg, &settings, now())?;
    ensure!((photo.width, photo.height) == (256, 192), "{photo:?}");
    eprintln!(
        "capture bench: smoke run passed (run `cargo bench -p plumbline-app --bench capture` to measure)"
    );
    Ok(())
}

fn decode(jpeg: &[u8]) -> Result<(u32, u32, Vec<u8>)> {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder.decode()?;
    let info = decoder.info().context("decoded JPEG without info")?;
    ensure!(info.pixel_format == jpeg_decoder::PixelFormat::RGB24);
    Ok((u32::from(info.width), u32::from(info.height), pixels))
}

/// Peak signal-to-noise ratio of two 8-bit images of the same size, in dB.
fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let squared: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = squared / a.len().max(1) as f64;
    10.0 * (255.0_f64.powi(2) / mse).log10()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn now() -> Timestamp {
    plumbline_shared::clock::Clock::system().now()
}

/// The command line `cargo bench` passes (`--bench`, then whatever followed `--`); `cargo
/// test` passes no `--bench`.
#[derive(Debug, Default)]
struct Args {
    bench: bool,
    list: bool,
    filters: Vec<String>,
}

impl Args {
    fn parse(args: impl Iterator<Item = String>) -> Self {
        // criterion's options that take a value (`cargo xtask bench -- <args>` passes the
        // same arguments to every benchmark): their value is not a filter.
        const WITH_VALUE: &[&str] = &[
            "--save-baseline",
            "--baseline",
            "--baseline-lenient",
            "--load-baseline",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--profile-time",
            "--plotting-backend",
            "--output-format",
            "--color",
            "--format",
            "-s",
            "-b",
            "-c",
        ];
        let mut out = Self::default();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => out.bench = true,
                "--list" => out.list = true,
                a if WITH_VALUE.contains(&a) => {
                    args.next();
                }
                a if !a.starts_with('-') => out.filters.push(arg),
                _ => {}
            }
        }
        out
    }
}
