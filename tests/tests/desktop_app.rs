//! The real desktop app, end to end: a real sync server on loopback, the real `plumbline-app`
//! binary in a WebKit window of a small phone's size (360 × 640) on a virtual X display (Xvfb),
//! driven with real X input events (xdotool: pointer clicks, key strokes, the wheel). An
//! inspector enrolls, opens a unit, records a defect with a photo from the camera roll and pins
//! it with a tap on the unit's floor plan (which the office put up before), syncs, and the
//! server's case records hold the finding and its photo, and the photo's evidence in the unit's
//! document holds the pin where the plan was tapped, to a pixel of the plan as the phone showed
//! it. A screenshot of each step is kept in `target/tmp/desktop-screenshots/`.
//!
//! Where to click comes from the app's layout probe (`PLUMBLINE_UI_PROBE`, see the app's
//! `probe.rs`): the window writes where each element with an `id` is, whether a click on its
//! middle or anywhere in it would reach it, and what the page says. The plan is tapped off its
//! middle, so the test scrolls until none of it is under the title bar or the tabs first.
//! The binary is built by `cargo xtask test` before the tests run (`cargo build -p
//! plumbline-app --features desktop`): the workspace's own test build leaves the WebView out.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::UnitId;
use plumbline_shared::inspection_plan::FloorRange;
use plumbline_shared::role::Role;
use plumbline_shared::workflow::Status;
use plumbline_sync_server::floor_plan_images::{NewPlan, add_plan};
use plumbline_tests::TestServer;

/// How long one step may take: a debug WebKit on a busy two-core machine is slow to start.
const STEP_TIMEOUT: Duration = Duration::from_secs(90);

/// A virtual X display, stopped on drop.
struct Xvfb {
    display: String,
    child: Child,
}

impl Xvfb {
    fn start() -> Result<Self> {
        for n in 91..120 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x1024x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting Xvfb (Debian package `xvfb`; `cargo xtask test` installs it)")?;
            let started = Instant::now();
            while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                if started.elapsed() > Duration::from_secs(10) {
                    bail!("Xvfb did not open display {display}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            return Ok(Self { display, child });
        }
        bail!("no free X display number between :91 and :119")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, so that Xvfb removes its socket and lock file for the next run.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Where an element is, in window pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    disabled: bool,
    /// A click on its middle reaches it (on screen, not covered).
    hit: bool,
    /// A click anywhere in it reaches it (wholly on screen, no edge covered).
    clear: bool,
}

/// How much of an element must be reachable before it is clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Its middle, where [`App::click`] clicks.
    Middle,
    /// All of it, for [`App::click_at`]: the middle being reachable says nothing of a point
    /// near the bottom of a tall element, which the tabs may still cover.
    Whole,
}

/// The running app and the means to drive it.
struct App {
    child: Child,
    display: String,
    probe: PathBuf,
    shots: PathBuf,
    window: Option<(String, f64, f64)>,
    step: u32,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    fn xdotool(&self, args: &[&str]) -> Result<String> {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .context("running xdotool (Debian package `xdotool`)")?;
        if !out.status.success() {
            bail!(
                "xdotool {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The app's window and its position on the screen.
    fn window(&mut self) -> Result<(String, f64, f64)> {
        if let Some(w) = &self.window {
            return Ok(w.clone());
        }
        let pid = self.child.id().to_string();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the app exited early with {status}");
            }
            let found = self.xdotool(&["search", "--onlyvisible", "--pid", &pid, ""]);
            if let Ok(ids) = found
                && let Some(id) = ids.lines().next()
            {
                let geometry = self.xdotool(&["getwindowgeometry", "--shell", id])?;
                let value = |key: &str| {
                    geometry
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{key}=")))
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .unwrap_or(0.0)
                };
                let w = (id.to_owned(), value("X"), value("Y"));
                self.window = Some(w.clone());
                return Ok(w);
            }
            if started.elapsed() > STEP_TIMEOUT {
                bail!("the app's window did not appear");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The number of the probe's latest reading (0 before the first).
    fn reading(&self) -> u64 {
        std::fs::read_to_string(&self.probe)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|v| v.get("reading")?.as_u64())
            .unwrap_or(0)
    }

    /// Waits for a reading of the page taken wholly after this call (the one under way may
    /// have started before the last input event): what the next step reads is the page after
    /// that event, not before it.
    fn settle(&self) -> Result<()> {
        let after = self.reading() + 1;
        let started = Instant::now();
        while self.reading() <= after {
            if started.elapsed() > STEP_TIMEOUT {
                bail!("the layout probe stopped writing readings");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// The probe's latest reading: elements by id, the page's text, the viewport height.
    fn read_probe(&self) -> Option<(std::collections::HashMap<String, Rect>, String, f64)> {
        let text = std::fs::read_to_string(&self.probe).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        let elements = value
            .get("elements")?
            .as_object()?
            .iter()
            .filter_map(|(id, r)| {
                let r = r.as_array()?;
                Some((
                    id.clone(),
                    Rect {
                        x: r.first()?.as_f64()?,
                        y: r.get(1)?.as_f64()?,
                        w: r.get(2)?.as_f64()?,
                        h: r.get(3)?.as_f64()?,
                        disabled: r.get(4)?.as_bool()?,
                        hit: r.get(5)?.as_bool()?,
                        clear: r.get(6)?.as_bool()?,
                    },
                ))
            })
            .collect();
        let page = value.get("text")?.as_str()?.to_owned();
        let height = value.get("height")?.as_f64()?;
        Some((elements, page, height))
    }

    /// Waits until the page shows `text`.
    fn wait_text(&self, text: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some((_, page, _)) = self.read_probe()
                && page.contains(text)
            {
                return Ok(());
            }
            if started.elapsed() > STEP_TIMEOUT {
                let page = self.read_probe().map(|p| p.1).unwrap_or_default();
                bail!("the page never showed {text:?}; it shows:\n{page}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until element `id` is enabled and within the window, scrolling with the wheel
    /// when it is below the fold, and returns where it is.
    fn wait_for(&mut self, id: &str) -> Result<Rect> {
        self.wait_reachable(id, Reach::Middle)
    }

    /// Waits until element `id` is enabled and `reach` of it can be clicked, rolling the wheel
    /// over the page towards it while it is off screen or covered (by the title bar or the
    /// tabs), and returns where it is once two readings agree (it is not still scrolling).
    fn wait_reachable(&mut self, id: &str, reach: Reach) -> Result<Rect> {
        let (_, wx, wy) = self.window()?;
        let started = Instant::now();
        let mut settled = None;
        // Every way round the loop meets the timeout: an element that can never be reached
        // (one taller than the space between the bars, or one that lets taps through) fails
        // the step instead of scrolling forever.
        while started.elapsed() <= STEP_TIMEOUT {
            let Some((elements, _, height)) = self.read_probe() else {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            let Some(r) = elements.get(id).copied().filter(|r| !r.disabled) else {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            let reached = match reach {
                Reach::Middle => r.hit,
                Reach::Whole => r.clear,
            };
            if reached && settled == Some(r) {
                return Ok(r);
            }
            settled = Some(r);
            if reached {
                self.settle()?;
                continue;
            }
            let button = if r.y + r.h / 2.0 > height / 2.0 {
                "5"
            } else {
                "4"
            };
            // Three notches a turn while the middle is out of reach: a building's grid is
            // long, one notch at a time took minutes. One once only an edge is: the element is
            // nearly in place, and a whole turn could carry it past the space between the bars.
            let notches = if r.hit { "1" } else { "3" };
            let (x, y) = (wx + 100.0, wy + height / 2.0);
            self.xdotool(&[
                "mousemove",
                "--sync",
                &fmt(x),
                &fmt(y),
                "click",
                "--repeat",
                notches,
                "--delay",
                "20",
                button,
            ])?;
            self.settle()?;
        }
        let page = self.read_probe().map(|p| p.1);
        match page {
            Some(page) => bail!(
                "element #{id} never became clickable ({reach:?}; last at {settled:?}); \
                 the page shows:\n{page}"
            ),
            None => bail!("the layout probe wrote nothing; is the window up?"),
        }
    }

    /// Waits until element `id` is shown, whether or not a click would reach it (a marker
    /// that lets taps through to what is under it never would), and returns the reading's
    /// elements.
    fn wait_shown(&self, id: &str) -> Result<std::collections::HashMap<String, Rect>> {
        let started = Instant::now();
        loop {
            if let Some((elements, _, _)) = self.read_probe()
                && elements.contains_key(id)
            {
                return Ok(elements);
            }
            if started.elapsed() > STEP_TIMEOUT {
                let page = self.read_probe().map(|p| p.1).unwrap_or_default();
                bail!("element #{id} never showed; the page shows:\n{page}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the middle of element `id` with the pointer.
    fn click(&mut self, id: &str) -> Result<()> {
        let r = self.wait_for(id)?;
        let (_, wx, wy) = self.window()?;
        let (x, y) = (wx + r.x + r.w / 2.0, wy + r.y + r.h / 2.0);
        self.xdotool(&["mousemove", "--sync", &fmt(x), &fmt(y), "click", "1"])?;
        self.settle()
    }

    /// Clicks element `id` at `(fx, fy)`, fractions of its width and height from its top-left,
    /// once all of it can be clicked (so the element must fit between the title bar and the
    /// tabs). Returns where the element was and the fractions of the point actually clicked:
    /// the pointer moves by whole pixels.
    fn click_at(&mut self, id: &str, fx: f64, fy: f64) -> Result<(Rect, (f64, f64))> {
        ensure!(
            (0.0..=1.0).contains(&fx) && (0.0..=1.0).contains(&fy),
            "({fx}, {fy}) is not inside an element"
        );
        let r = self.wait_reachable(id, Reach::Whole)?;
        let (_, wx, wy) = self.window()?;
        let (x, y) = ((wx + r.x + r.w * fx).round(), (wy + r.y + r.h * fy).round());
        self.xdotool(&["mousemove", "--sync", &fmt(x), &fmt(y), "click", "1"])?;
        self.settle()?;
        Ok((r, ((x - wx - r.x) / r.w, (y - wy - r.y) / r.h)))
    }

    /// Draws a signature-like zigzag across element `id` with the pointer held down.
    fn sign_on(&mut self, id: &str) -> Result<()> {
        let r = self.wait_for(id)?;
        let (_, wx, wy) = self.window()?;
        let (left, top) = (wx + r.x + r.w * 0.1, wy + r.y + r.h * 0.3);
        let at = |i: usize| {
            let x = left + r.w * 0.8 * i as f64 / 16.0;
            let y = top + if i.is_multiple_of(2) { 0.0 } else { r.h * 0.4 };
            (fmt(x), fmt(y))
        };
        let (x, y) = at(0);
        self.xdotool(&["mousemove", "--sync", &x, &y, "mousedown", "1"])?;
        for i in 1..=16 {
            let (x, y) = at(i);
            self.xdotool(&["mousemove", "--sync", &x, &y])?;
            // A hand's pace: the pad draws a stroke between pointer events.
            std::thread::sleep(Duration::from_millis(30));
        }
        self.xdotool(&["mouseup", "1"])?;
        self.settle()
    }

    /// Types `text` with the keyboard into whatever has the focus.
    fn type_text(&self, text: &str) -> Result<()> {
        self.xdotool(&["type", "--delay", "15", text])?;
        self.settle()
    }

    /// Keeps a screenshot of the whole display.
    fn screenshot(&mut self, name: &str) -> Result<()> {
        self.step += 1;
        let file = self.shots.join(format!("{:02}-{name}.png", self.step));
        let status = Command::new("import")
            .args(["-window", "root"])
            .arg(&file)
            .env("DISPLAY", &self.display)
            .status()
            .context("running import (Debian package `imagemagick`)")?;
        if !status.success() {
            bail!("the screenshot {} failed", file.display());
        }
        Ok(())
    }
}

/// The unit's document as the server has stored it.
async fn stored_unit(server: &TestServer, unit: &UnitId) -> Result<UnitDoc> {
    let doc_id = DocId::Unit(unit.clone());
    let stored = server
        .state
        .store
        .load_doc(&doc_id)
        .await?
        .context("the unit's document is on the server")?;
    Ok(UnitDoc::from_trusted(
        plumbline_sync_server::doc_cache::assemble(&doc_id, &stored)?,
    ))
}

fn fmt(v: f64) -> String {
    format!("{}", v.round() as i64)
}

/// The desktop binary next to this test's own build.
fn app_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the test binary is not in a target folder")?;
    let bin = dir.join("plumbline-app");
    if !bin.exists() {
        bail!(
            "{} is missing: build it with `cargo build -p plumbline-app --features desktop` \
             (`cargo xtask test` does this before the tests)",
            bin.display()
        );
    }
    Ok(bin)
}

/// A camera-sized photo (PNG, so that the test needs no JPEG encoder of its own).
fn write_photo(path: &Path) -> Result<()> {
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    img.save(path)?;
    Ok(())
}

/// A floor plan as the office scans it: 800 × 600 px (4:3, so 312 × 234 px in the 360 px wide
/// window), the outer walls and two rooms' walls in black on white, as a PNG.
fn floor_plan_png() -> Result<Vec<u8>> {
    let img = image::GrayImage::from_fn(800, 600, |x, y| {
        let outer = !(12..788).contains(&x) || !(12..588).contains(&y);
        let rooms = (x.abs_diff(420) < 5 && y < 380) || (y.abs_diff(380) < 5 && x > 200);
        image::Luma([if outer || rooms { 0 } else { 255 }])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    Ok(png.into_inner())
}

/// The office's enrollment QR code for `link`, as a screenshot of the admin page would show it:
/// 6 px modules with a quiet zone, on a white page larger than the code.
fn write_enrollment_code(path: &Path, link: &str) -> Result<()> {
    let code = qrcode::QrCode::new(link.as_bytes())?;
    let (width, module, margin) = (code.width() as u32, 6, 60);
    let colors = code.to_colors();
    let side = width * module + 2 * margin;
    let img = image::GrayImage::from_fn(side + 200, side + 300, |x, y| {
        let inside = |v: u32| (margin..margin + width * module).contains(&v);
        let dark = inside(x)
            && inside(y)
            && colors[(((y - margin) / module) * width + (x - margin) / module) as usize]
                == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    img.save(path)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_enrolls_records_a_defect_with_a_photo_and_syncs_in_the_desktop_app()
-> Result<()> {
    let server = TestServer::start().await?;
    let code = server.code_for("wangli", Role::Inspector).await?;
    let building = server.project.buildings[0].clone();
    let unit = building.units[0].clone();
    // The office has put up the plan of the unit's floor: the first sync brings it to the
    // phone, and the finding editor shows it to pin the defect on.
    let plan = add_plan(
        &server.state,
        &server.project.id,
        NewPlan {
            building: building.id.clone(),
            floors: FloorRange {
                first: unit.floor,
                last: unit.floor,
            },
            name: format!("{}F", unit.floor),
            image: floor_plan_png()?.into(),
        },
    )
    .await?;

    let dir = tempfile::tempdir()?;
    let photos = dir.path().join("camera-roll");
    std::fs::create_dir_all(&photos)?;
    write_photo(&photos.join("IMG_0001.png"))?;
    // The office's QR code, photographed from the admin page (a screenshot in the folder).
    let qr_picture = photos.join("enrollment-qr.png");
    write_enrollment_code(
        &qr_picture,
        &plumbline_shared::enroll_link::format(&server.base_url(), &code),
    )?;
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("desktop-screenshots");
    std::fs::create_dir_all(&shots)?;

    let x = Xvfb::start()?;
    let probe = dir.path().join("probe.json");
    let child = Command::new(app_binary()?)
        .arg("--data")
        .arg(dir.path().join("device"))
        .arg("--photos")
        .arg(&photos)
        .args(["--width", "360", "--height", "640"])
        // The app's clock starts where the test server's is.
        .arg("--clock-from")
        .arg(server.clock.now().to_string())
        .env("DISPLAY", &x.display)
        .env("PLUMBLINE_UI_PROBE", &probe)
        .env("RUST_LOG", "info")
        .env("HOME", dir.path())
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the desktop app")?;
    let mut app = App {
        child,
        display: x.display.clone(),
        probe,
        shots,
        window: None,
        step: 0,
    };

    // Enroll, in Chinese (the default), by the QR code: nothing typed. The folder lists the
    // QR picture and the photo; the test picks the QR picture by its place in the list.
    app.wait_text("登记本机")?;
    app.screenshot("enroll")?;
    app.click("scan-from-folder")?;
    app.wait_for("enroll-gallery-1")?;
    let page = app.read_probe().map(|p| p.1).unwrap_or_default();
    let (qr, photo) = (page.find("enrollment-qr.png"), page.find("IMG_0001.png"));
    ensure!(
        qr.is_some() && photo.is_some(),
        "the folder lists both pictures:\n{page}"
    );
    app.click(if qr < photo {
        "enroll-gallery-0"
    } else {
        "enroll-gallery-1"
    })?;
    // The inspector deletes the screenshot once enrolled; the camera roll holds the photo.
    std::fs::remove_file(&qr_picture)?;

    // The first sync brings the project; open the building and the unit.
    let building_id = format!("building-{}", building.id);
    app.wait_for(&building_id)?;
    app.screenshot("projects")?;
    // The plan images come at the end of that sync, after the project shows, and the editor
    // reads the plan when it opens: wait until the sync screen says the sync is over.
    app.click("tab-sync")?;
    app.wait_for("all-synced")?;
    app.click("tab-units")?;
    app.click(&building_id)?;
    let unit_id = format!("unit-{}", unit.id);
    app.wait_for(&unit_id)?;
    app.screenshot("unit-grid")?;
    app.click(&unit_id)?;

    // Kitchen, the drain: a defect.
    app.click("room-kitchen")?;
    app.click("defect-kitchen.drain")?;
    app.wait_text("记录问题")?;
    app.click("description")?;
    app.type_text("Water backs up in the sink drain")?;
    app.click("open-gallery")?;
    app.click("gallery-0")?;
    app.wait_for("remove-photo-0")?;
    // Where the drain is: a tap on the plan, a quarter of the way across and three quarters
    // down (off its middle, near the tabs until the page is scrolled). The pin shows where
    // the pointer was, to a pixel.
    let (shown, tapped) = app.click_at("plan-target", 0.25, 0.75)?;
    let elements = app.wait_shown("plan-pin")?;
    let (target, pin) = (elements["plan-target"], elements["plan-pin"]);
    let pin_at = (
        pin.x + pin.w / 2.0 - target.x,
        pin.y + pin.h / 2.0 - target.y,
    );
    let tapped_at = (tapped.0 * shown.w, tapped.1 * shown.h);
    ensure!(
        (pin_at.0 - tapped_at.0).abs() <= 1.0 && (pin_at.1 - tapped_at.1).abs() <= 1.0,
        "the pin shows at {pin_at:?} px on the plan, the tap was at {tapped_at:?} px"
    );
    app.screenshot("finding-editor")?;
    app.click("save")?;
    app.wait_text("已保存到本机")?;
    app.screenshot("saved")?;

    // Sync, and wait until the phone says everything is on the server.
    app.click("tab-sync")?;
    app.click("sync-now")?;
    app.wait_text("所有记录和照片都已在服务器上")?;
    app.screenshot("synced")?;

    let cases = server.cases_of(&unit.id).await?;
    assert_eq!(cases.len(), 1, "one case on the server: {cases:?}");
    let case = &cases[0].case;
    assert_eq!(case.description, "Water backs up in the sink drain");
    assert_eq!(case.item, "kitchen.drain");
    assert_eq!(case.status, Status::Open);
    assert_eq!(case.evidence_refs, 1, "the photo is referenced");
    let evidence = server
        .state
        .store
        .evidence_status(std::slice::from_ref(&server.project.id), Some(&unit.id))
        .await?;
    assert_eq!(
        (evidence.referenced, evidence.arrived),
        (1, 1),
        "the photo itself arrived: {evidence:?}"
    );
    // The pin is on the photo's evidence in the server's document: on this plan, where the
    // pointer tapped, to a pixel of the plan as the phone showed it.
    let record = stored_unit(&server, &unit.id).await?.read()?;
    let finding = record.findings.values().next().context("the finding")?;
    let photo = finding.evidence.values().next().context("the photo")?;
    let pin = photo.pin.as_ref().context("the photo carries the pin")?;
    assert_eq!(pin.plan, plan.image, "the pin is on the unit's plan");
    assert!(
        (pin.x - tapped.0).abs() <= 1.0 / shown.w && (pin.y - tapped.1).abs() <= 1.0 / shown.h,
        "the pin ({}, {}) is where the plan was tapped, {tapped:?} (plan shown at {} × {} px)",
        pin.x,
        pin.y,
        shown.w,
        shown.h
    );

    // The owner's joint inspection: the list, name and phone, a signature drawn with the
    // pointer on the pad, signed, synced.
    app.click("tab-units")?;
    app.click(&building_id)?;
    app.click(&unit_id)?;
    app.click("joint-walk")?;
    app.wait_text("本次陪验问题清单")?;
    app.wait_text("Water backs up in the sink drain")?;
    app.click("owner-name")?;
    app.type_text("Zhang Wei")?;
    app.click("owner-phone")?;
    app.type_text("13812345678")?;
    app.sign_on("signature-pad")?;
    app.screenshot("owner-walk")?;
    app.click("sign-walk")?;
    app.wait_text("业主已签字确认")?;
    app.wait_text("已签字的陪验记录")?;
    app.screenshot("owner-walk-signed")?;
    app.click("tab-sync")?;
    app.click("sync-now")?;
    app.wait_text("所有记录和照片都已在服务器上")?;

    let walks = stored_unit(&server, &unit.id).await?.walks()?;
    assert_eq!(walks.len(), 1, "one signed walk on the server");
    let walk = walks.values().next().context("the walk")?;
    assert_eq!(walk.snapshot.findings.len(), 1);
    assert_eq!(walk.snapshot.owner.phone, "138****5678");
    let png = server
        .state
        .blobs
        .get(&plumbline_sync_server::blobs::object_path(
            &walk.signature.hash,
        ))
        .await?
        .bytes()
        .await?;
    let img = image::load_from_memory(&png)?.to_luma8();
    let ink = img.pixels().filter(|p| p.0[0] < 128).count();
    assert!(
        ink > 200,
        "the drawn stroke is in the signature image ({ink} dark pixels)"
    );
    Ok(())
}
