//! Answering with a printed document as a PDF file (see [`crate::paper`]): laid out off the
//! async workers, and a page that says what is missing when the server has no Chinese font.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::i18n::Msg;
use super::layout::{internal, message_page};
use super::session::Staff;
use crate::paper::{Block, PaperError};
use crate::state::AppState;

/// `blocks` drawn as a PDF (with the configured font) and sent as the download `file`.
pub async fn answer(state: &AppState, staff: &Staff, blocks: Vec<Block>, file: &str) -> Response {
    let font_file = state.config.paper.font_file.clone();
    // Laying out and subsetting the font is CPU work: off the async workers.
    let made = tokio::task::spawn_blocking(move || crate::paper::render(&blocks, &font_file)).await;
    let bytes = match made {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e @ (PaperError::NoFont | PaperError::FontFile { .. } | PaperError::NotBuilt))) => {
            tracing::error!("{e}");
            return message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                staff.lang,
                Msg::PdfNoFont.text(staff.lang),
                Some(staff.top_bar()),
            );
        }
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
