//! Floor-plan images on the server: reading an uploaded image's type and size, storing it, and
//! who may download it.
//!
//! An administrator uploads a plan through the office web (`web::admin::projects`); the image
//! becomes a blob like any evidence photo ([`crate::blobs::Uploads::store_whole`]) and the
//! project document gains a [`FloorPlan`] naming its hash ([`crate::project_write`]), so every
//! device of the project learns of it at its next sync and downloads it.
//!
//! Downloads of evidence are authorised by the evidence rows projected from unit documents
//! (`Store::blob_projects`). A plan image is referenced by the project document instead, so
//! [`plan_projects`] answers for plans: which of the asker's projects have the hash as a
//! plan. It reads only the `floor_plans` list of each project document (cached in memory by
//! [`crate::doc_cache::DocCache`]), not the whole project, and only the asker's projects.
//!
//! The image's size is read from its header ([`image_info`]): the PNG `IHDR` chunk or the JPEG
//! start-of-frame marker. The bytes are never decoded on the server, so a decompression bomb
//! costs it nothing; the phone that shows the plan bounds its own decoding.

use bytes::Bytes;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::floor_plans_of;
use plumbline_shared::floor_plan::{FloorPlan, FloorPlanError};
use plumbline_shared::ids::{BlobHash, BuildingId, FloorPlanId, ProjectId};
use plumbline_shared::inspection_plan::FloorRange;

use crate::project_read::load_project;
use crate::project_write::{ProjectEditError, edit_project};
use crate::state::AppState;
use plumbline_media::ImageType;

/// A plan to add: where it belongs, and the image file as uploaded.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// The building.
    pub building: BuildingId,
    /// The floors it shows.
    pub floors: FloorRange,
    /// Its name; empty for one made from the building and floors (`1栋 2–5F`).
    pub name: String,
    /// The image file (PNG or JPEG, at most `MAX_PLAN_BYTES`; the caller bounds the read).
    pub image: Bytes,
}

/// Why [`add_plan`] added nothing.
#[derive(Debug, thiserror::Error)]
pub enum AddPlanError {
    /// The file is not a usable image.
    #[error(transparent)]
    Image(#[from] PlanImageError),
    /// The plan does not fit the project.
    #[error(transparent)]
    Plan(#[from] FloorPlanError),
    /// The project has no document here.
    #[error("project `{0}` has no document on this server")]
    NoSuchProject(ProjectId),
    /// Storing failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Adds a floor plan to `project`: reads the image's type and size, checks the plan against
/// the project, and only then stores the image as a blob and writes the plan into the project
/// document. A refusal stores nothing; a plan refused after the image was stored (the project
/// changed in between) leaves only an unreferenced blob, which no one can download.
pub async fn add_plan(
    state: &AppState,
    project: &ProjectId,
    new: NewPlan,
) -> Result<FloorPlan, AddPlanError> {
    let (_, width, height) = image_info(&new.image)?;
    let Some(current) = load_project(state, project).await? else {
        return Err(AddPlanError::NoSuchProject(project.clone()));
    };
    let name = match new.name.trim() {
        "" => {
            let building = current
                .building(&new.building)
                .map_or_else(|| new.building.to_string(), |b| b.name.clone());
            format!("{building} {}–{}F", new.floors.first, new.floors.last)
        }
        given => given.to_owned(),
    };
    let plan = FloorPlan {
        id: FloorPlanId::random(),
        building: new.building,
        floors: new.floors,
        name,
        image: BlobHash::of(&new.image),
        width,
        height,
        retired: false,
    };
    current.check_floor_plan(&plan)?;
    state
        .uploads
        .store_whole(&*state.store, &*state.blobs, new.image, state.now())
        .await
        .map_err(anyhow::Error::from)?;
    let stored = plan.clone();
    match edit_project(state, project, |p| p.put_floor_plan(stored)).await {
        Ok(()) => Ok(plan),
        Err(ProjectEditError::Refused(e)) => Err(e.into()),
        Err(ProjectEditError::NoSuchProject(p)) => Err(AddPlanError::NoSuchProject(p)),
        Err(ProjectEditError::Other(e)) => Err(e.into()),
    }
}

/// Why an uploaded file is not a usable plan image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanImageError {
    /// Neither a PNG nor a JPEG by its first bytes.
    #[error("the file is not a PNG or JPEG image; export the plan as PNG or JPEG")]
    NotAnImage,
    /// A PNG or JPEG whose header does not say its size.
    #[error("the {0} image is damaged: its header does not give its size")]
    NoSize(&'static str),
}

/// The type and pixel size of a PNG or JPEG, from its header.
pub fn image_info(bytes: &[u8]) -> Result<(ImageType, u32, u32), PlanImageError> {
    match ImageType::sniff(bytes) {
        Some(ImageType::Png) => png_size(bytes)
            .map(|(w, h)| (ImageType::Png, w, h))
            .ok_or(PlanImageError::NoSize("PNG")),
        Some(ImageType::Jpeg) => jpeg_size(bytes)
            .map(|(w, h)| (ImageType::Jpeg, w, h))
            .ok_or(PlanImageError::NoSize("JPEG")),
        None => Err(PlanImageError::NotAnImage),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A PNG starts with its signature (8 bytes), then the `IHDR` chunk: length 13, the type, and
/// width and height as big-endian 32-bit numbers.
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if be32(b, 8)? != 13 || b.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((be32(b, 16)?, be32(b, 20)?))
}

/// Walks the JPEG markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC), which
/// holds precision, height and width. Stops at the start of scan: a frame comes before it.
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2; // after SOI (FF D8)
    loop {
        if *b.get(at)? != 0xFF {
            return None;
        }
        // Fill bytes: any number of FF before the marker code.
        while *b.get(at + 1)? == 0xFF {
            at += 1;
        }
        let marker = *b.get(at + 1)?;
        at += 2;
        match marker {
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            // End of image or start of scan before any frame: no size.
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = be16(b, at)? as usize;
        if len < 2 {
            return None;
        }
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            // length, precision, height, width
            let height = be16(b, at + 3)?;
            let width = be16(b, at + 5)?;
            return Some((width, height));
        }
        at += len;
    }
}

/// Whether a person who belongs to `mine` may download the blob `hash`: evidence of a case of
/// one of those projects, or a floor plan one of their project documents lists. The one check
/// behind the devices' blob download and the office's photo route.
pub async fn visible_to(
    state: &AppState,
    hash: &BlobHash,
    mine: &[ProjectId],
) -> anyhow::Result<bool> {
    let evidence = state.store.blob_projects(hash).await?;
    if evidence.iter().any(|p| mine.contains(p)) {
        return Ok(true);
    }
    Ok(!plan_projects(state, mine, hash).await?.is_empty())
}

/// The projects among `candidates` that have `hash` as a floor-plan image.
pub async fn plan_projects(
    state: &AppState,
    candidates: &[ProjectId],
    hash: &BlobHash,
) -> anyhow::Result<Vec<ProjectId>> {
    let mut out = Vec::new();
    for project in candidates {
        let doc_id = DocId::Project(project.clone());
        let mut guard = state.docs.lock(&doc_id).await;
        let Some(loaded) = state.docs.get(&mut guard, &doc_id).await? else {
            continue;
        };
        let plans = floor_plans_of(&loaded.doc)?;
        if plans.iter().any(|p| &p.image == hash) {
            out.push(project.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        b.extend_from_slice(&13u32.to_be_bytes());
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    /// SOI, an APP0 segment, a DQT-like segment, a fill byte, then SOF2 (progressive).
    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x03, 0x01]);
        b.extend_from_slice(&[0xFF, 0xFF, 0xC2, 0x00, 0x11, 0x08]);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]);
        b
    }

    #[test]
    fn sizes_come_from_png_and_jpeg_headers() {
        assert_eq!(image_info(&png(1200, 800)), Ok((ImageType::Png, 1200, 800)));
        assert_eq!(image_info(&jpeg(640, 480)), Ok((ImageType::Jpeg, 640, 480)));
    }

    #[test]
    fn other_files_and_damaged_headers_are_refused() {
        assert_eq!(image_info(b"GIF89a......"), Err(PlanImageError::NotAnImage));
        assert_eq!(image_info(b""), Err(PlanImageError::NotAnImage));
        let cut = &png(10, 10)[..18];
        assert_eq!(image_info(cut), Err(PlanImageError::NoSize("PNG")));
        // A JPEG whose scan starts before any frame, and one cut short.
        let no_frame = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        assert_eq!(image_info(&no_frame), Err(PlanImageError::NoSize("JPEG")));
        let cut = &jpeg(10, 10)[..16];
        assert_eq!(image_info(cut), Err(PlanImageError::NoSize("JPEG")));
    }
}
