//! `GET /cases/{unit}/{finding}/pack`: the case's dispute pack (see [`crate::dispute_pack`]).
//!
//! Its pages are the office's own: the case page, the printed notice and each fine slip are
//! rendered by their handlers for the person asking, so the pack shows exactly what they see.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::ids::{FineId, UnitId};
use plumbline_shared::role::Role;
use serde::Serialize;

use super::case_load::{load_for_page, not_found};
use super::layout::internal;
use super::session::Staff;
use super::{case_detail, fine_slip, notice_print, walk_sheet};
use crate::dispute_pack::{MANIFEST, PackBuilder};
use crate::state::AppState;

/// Most bytes one rendered page may take in the pack.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// `case.json`: the record itself, as the server holds it, and who asked for the pack when.
#[derive(Serialize)]
struct CaseFile<'a> {
    project: &'a str,
    unit: &'a UnitId,
    status: &'static str,
    generated_at: String,
    generated_by: &'a str,
    /// The finding as stored: fields, every event with its device time and author, the
    /// server's receipts (server times), the evidence references with their hashes.
    finding: &'a Finding,
    /// Photos the case references that never reached the server (still on a phone, or lost).
    photos_not_arrived: Vec<String>,
}

fn readme(unit: &UnitId, finding: &Finding, manifest_name: &str) -> String {
    format!(
        "Plumbline dispute pack / 争议证据包\n\
         Case / 案件: {unit} / {id}\n\n\
         case.json        the case record as stored: fields, every event with device time and author,\n\
         \x20                the server's receipt times, the photos' hashes / 案件记录原文\n\
         case.html        the case page with its timeline / 案件页面（含处理记录）\n\
         notice.html      the rectification notice, when issued / 工程整改通知单\n\
         fine-*.html      each fine slip / 罚款单\n\
         photos/<hash>    every photo original; its name is its BLAKE3 hash / 照片原件\n\
         walks/<id>/      the owner's signed walk listing this case / 业主陪验签字记录:\n\
         \x20                snapshot.json is exactly what was signed (its BLAKE3 is `snapshot_hash` in\n\
         \x20                walk.json), signature.png, sheet.html (验房确认单)\n\n\
         {manifest_name} lists the BLAKE3 hash of every other file, one `<hash>  <path>` per line.\n\
         Check it after unzipping with `b3sum --check {manifest_name}`, or without unzipping with\n\
         `plumbline-sync-server verify-pack <this file>`; either names each file that differs.\n\
         The hash of {manifest_name} itself was logged by the server when it built this pack.\n\
         校验：解压后运行 `b3sum --check {manifest_name}`，或运行 `plumbline-sync-server verify-pack <本文件>`。\n",
        id = finding.id,
    )
}

/// The body of a page rendered by one of the office's handlers, or why not. The person's form
/// token is taken out: a pack leaves the office, and the page's forms are not its evidence.
async fn page_bytes(page: Response, csrf: &str) -> Result<Vec<u8>, Response> {
    if page.status() != StatusCode::OK {
        return Err(page);
    }
    let bytes = axum::body::to_bytes(page.into_body(), MAX_PAGE_BYTES)
        .await
        .map_err(internal)?;
    let html = String::from_utf8_lossy(&bytes);
    Ok(html.replace(csrf, "").into_bytes())
}

/// `GET /cases/{unit}/{finding}/pack`.
pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    headers: axum::http::HeaderMap,
    Path((unit_path, finding_path)): Path<(String, String)>,
) -> Response {
    let (unit, _, loaded) = match load_for_page(&state, &staff, &unit_path, &finding_path).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    // Office staff only, like the case page it contains.
    match staff.role_in(&loaded.project.id) {
        Some(r) if r != Role::Contractor => {}
        _ => return not_found(&staff),
    }
    let f = &loaded.finding;
    let mut pack = PackBuilder::default();
    let mut not_arrived = Vec::new();
    for hash in f.evidence.keys() {
        match crate::blobs::read_whole(&*state.blobs, hash).await {
            Ok(Some(bytes)) => {
                let ext = match plumbline_media::ImageType::sniff(&bytes) {
                    Some(plumbline_media::ImageType::Png) => "png",
                    _ => "jpg",
                };
                if let Err(e) = pack.add(format!("photos/{hash}.{ext}"), bytes.to_vec()) {
                    return internal(e);
                }
            }
            Ok(None) => not_arrived.push(hash.to_string()),
            Err(e) => return internal(e),
        }
    }
    let now = state.now();
    let case = CaseFile {
        project: loaded.project.id.as_str(),
        unit: &unit,
        status: loaded.state.status.label_en(),
        generated_at: super::when::beijing(now),
        generated_by: staff.user.as_str(),
        finding: f,
        photos_not_arrived: not_arrived,
    };
    let json = match serde_json::to_vec_pretty(&case) {
        Ok(j) => j,
        Err(e) => return internal(e),
    };
    let ids = (unit_path.clone(), finding_path.clone());
    let mut pages = vec![(
        "case.html".to_owned(),
        case_detail::show(State(state.clone()), staff.clone(), Path(ids.clone())).await,
    )];
    if loaded.state.notice.is_some() {
        pages.push((
            "notice.html".to_owned(),
            notice_print::print_notice(
                State(state.clone()),
                staff.clone(),
                headers.clone(),
                Path(ids.clone()),
            )
            .await,
        ));
    }
    let fine_ids: Vec<FineId> = loaded.state.fines.iter().map(|x| x.id.clone()).collect();
    for fine in fine_ids {
        let path = Path((ids.0.clone(), ids.1.clone(), fine.to_string()));
        pages.push((
            format!("fine-{fine}.html"),
            fine_slip::print(State(state.clone()), staff.clone(), path).await,
        ));
    }
    // The owner's signed walks that list this case: what was signed, byte for byte (its
    // BLAKE3 is the walk's `snapshot_hash`), the signature image and the printed sheet.
    let walks = match crate::case_read::walks_listing(&state, &unit, &f.id).await {
        Ok(w) => w,
        Err(e) => return internal(e),
    };
    for w in &walks {
        let dir = format!("walks/{}", w.walk.id);
        let walk_json = match serde_json::to_vec_pretty(&w.walk) {
            Ok(j) => j,
            Err(e) => return internal(e),
        };
        let signature = match crate::blobs::read_whole(&*state.blobs, &w.walk.signature.hash).await
        {
            Ok(png) => png,
            Err(e) => return internal(e),
        };

        let mut files = vec![
            (format!("{dir}/snapshot.json"), w.walk.snapshot.canonical()),
            (format!("{dir}/walk.json"), walk_json),
        ];
        files.extend(signature.map(|image| {
            let ext = match plumbline_media::ImageType::sniff(&image) {
                Some(plumbline_media::ImageType::Png) => "png",
                _ => "jpg",
            };
            (format!("{dir}/signature.{ext}"), image.to_vec())
        }));
        for (name, bytes) in files {
            if let Err(e) = pack.add(name, bytes) {
                return internal(e);
            }
        }
        pages.push((
            format!("{dir}/sheet.html"),
            walk_sheet::print(
                State(state.clone()),
                staff.clone(),
                Path((ids.0.clone(), w.walk.id.to_string())),
            )
            .await,
        ));
    }
    if let Err(e) = pack.add("case.json", json) {
        return internal(e);
    }
    for (name, page) in pages {
        let bytes = match page_bytes(page, &staff.csrf).await {
            Ok(b) => b,
            Err(page) => return page,
        };
        if let Err(e) = pack.add(name, bytes) {
            return internal(e);
        }
    }
    let built = match pack.finish(&readme(&unit, f, MANIFEST)) {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    tracing::info!(
        %unit, finding = %f.id, by = %staff.user, files = built.files,
        manifest_b3 = %built.manifest_b3,
        "built a dispute pack"
    );
    let file = format!("plumbline-{unit}-{}.zip", f.id);
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (
                header::HeaderName::from_static("x-plumbline-manifest-b3"),
                built.manifest_b3,
            ),
        ],
        Body::from(built.zip),
    )
        .into_response()
}
