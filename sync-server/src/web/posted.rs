//! Forms the office web posts: each carries the page's CSRF token.
//!
//! [`Posted`] names where a form keeps its token, so the checks every action starts with (the
//! form read, the token compared) are written once: [`StaffForm`] for any form of a signed-in
//! person, `Admin::project_form` for the administration's, and the case actions' kit
//! ([`super::case_kit::CaseForm`]).

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::layout::message_page;
use super::session::Staff;
use crate::state::AppState;

/// A form posted by an office page.
pub trait Posted {
    /// The CSRF token the page put into the form.
    fn csrf(&self) -> &str;
}

/// Implements [`Posted`] for forms whose token is their `csrf` field.
macro_rules! posted_with_csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::posted::Posted for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use posted_with_csrf_field;

/// A form posted by a signed-in office person: read (or the page saying it could not be), its
/// token checked against the person's session.
#[derive(Debug)]
pub struct StaffForm<F> {
    /// The person.
    pub staff: Staff,
    /// The form.
    pub form: F,
}

impl<F> FromRequest<AppState> for StaffForm<F>
where
    F: DeserializeOwned + Posted + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let staff = Staff::from_request_parts(&mut parts, state).await?;
        let form = match Form::<F>::from_request(Request::from_parts(parts, body), state).await {
            Ok(Form(form)) => form,
            Err(rejection) => return Err(unreadable(&staff, rejection.status())),
        };
        if let Some(refused) = staff.csrf_refusal(form.csrf()) {
            return Err(refused);
        }
        Ok(Self { staff, form })
    }
}

/// The answer to a form that could not be read (a field sent twice, a body that is not a form,
/// one too large): nothing is done, and the person is told what to do.
pub fn unreadable(staff: &Staff, status: StatusCode) -> Response {
    let lang = staff.lang;
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let m = lang.pick(
            "表单内容过长，请缩短后重新提交。",
            "The form is too long; shorten it and submit it again.",
        );
        return message_page(status, lang, m, Some(staff.top_bar()));
    }
    let m = lang.pick(
        "表单无法读取，请返回页面重新填写。",
        "The form could not be read; go back and fill it in again.",
    );
    message_page(StatusCode::BAD_REQUEST, lang, m, Some(staff.top_bar()))
}
