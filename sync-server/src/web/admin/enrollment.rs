//! `POST /admin/users/{user}/code`: a one-time enrollment code for a person's next device,
//! shown once, as text and as a QR code.
//!
//! The code is made by the same function as `plumbline-sync-server admin code`
//! ([`crate::account_admin::enrollment_code`]): single-use, valid for `limits.enrollment_code_hours`,
//! stored only as a hash. It is answered on the page of the POST itself (never a link that a
//! browser history or a proxy could keep) with `Cache-Control: no-store`.
//!
//! # What the QR code holds
//!
//! Everything the app's enroll screen asks for, as one URI:
//!
//! ```text
//! plumbline://enroll?server=https%3A%2F%2Fplumbline.example.com&code=K7M2P-9QXDA
//! ```
//!
//! `server` is the server's address, percent-encoded, as typed into the enroll screen's server
//! field (`web.public_url`, or else the address the administrator's browser used); `code` is
//! the code as shown. A URI rather than JSON because a phone's own camera app recognises a URI
//! scheme and can hand it to the app, and because it stays readable for someone checking a
//! code by eye. The QR code is rendered on the server as SVG (the `qrcode` crate), so the page
//! needs no script and prints.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::UserId;
use plumbline_shared::time::HOUR_MS;
use serde::Deserialize;

use super::Admin;
use crate::account_admin::enrollment_code;
use crate::config::Config;
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;
use crate::web::qr::qr_svg;
use crate::web::when::beijing;

/// The URI scheme and path of an enrollment QR code.
pub const ENROLL_URI_PREFIX: &str = plumbline_shared::enroll_link::PREFIX;

/// The URI an enrollment QR code holds (see the module docs).
pub fn enroll_uri(server: &str, code: &str) -> String {
    plumbline_shared::enroll_link::format(server, code)
}

/// The address devices use to reach this server: `web.public_url` when set; else the scheme
/// (`https` when cookies are marked secure, which means TLS in front) and the `Host` the
/// administrator's browser sent; else the listening address.
pub fn server_address(config: &Config, headers: &HeaderMap) -> String {
    if !config.web.public_url.is_empty() {
        return config.web.public_url.clone();
    }
    let scheme = if config.web.secure_cookies {
        "https"
    } else {
        "http"
    };
    // Only a plain host[:port] is taken from the request: the header is the browser's to send,
    // and what it says ends up in a code a phone will trust.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .map_or_else(|| config.listen.to_string(), str::to_owned);
    format!("{scheme}://{host}")
}

#[derive(Props, Clone, PartialEq)]
struct CodeProps {
    lang: Lang,
    user: UserId,
    name: String,
    code: String,
    server: String,
    uri: String,
    svg: String,
    expires: String,
}

#[allow(non_snake_case)] // a component
fn CodePage(p: CodeProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::EnrollmentCode.text(lang)} " · {p.name} ({p.user})" }
        p { {Msg::CodeOnce.text(lang)} }
        div { id: "enroll-qr", role: "img", "aria-label": Msg::EnrollmentCode.text(lang),
            dangerous_inner_html: "{p.svg}"
        }
        table { id: "enroll-code",
            tbody {
                tr { th { {Msg::EnrollmentCode.text(lang)} } td { strong { id: "code", style: "font-size:1.6rem;letter-spacing:.1em", "{p.code}" } } }
                tr { th { {Msg::ServerAddress.text(lang)} } td { id: "server", "{p.server}" } }
                tr { th { {Msg::CodeExpires.text(lang)} } td { "{p.expires}" } }
                tr { th { {Msg::QrContent.text(lang)} } td { code { id: "uri", "{p.uri}" } } }
            }
        }
        p { class: "noprint", a { href: "/admin/users", {Msg::UsersAndRoles.text(lang)} } }
    }
}

/// A form with only its token.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
}

posted_with_csrf_field!(CodeForm);

/// `POST /admin/users/{user}/code`.
pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    if let Err(page) = admin.form(form) {
        return page;
    }
    let lang = admin.lang();
    let Ok(user) = UserId::new(user) else {
        return admin.not_found();
    };
    let name = match state.store.user(&user).await {
        Ok(Some((name, memberships))) if admin.oversees(&memberships) => name,
        Ok(_) => return admin.not_found(),
        Err(e) => return internal(e),
    };
    let server = server_address(&state.config, &headers);
    let issued = state.now();
    let code = match enrollment_code(&state, &user).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let uri = enroll_uri(&server, &code);
    let svg = match qr_svg(&uri) {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    tracing::info!(by = %admin.staff.user, %user, "enrollment code issued from the office web");
    let expires = beijing(plumbline_shared::time::Timestamp(
        issued.0 + state.config.limits.enrollment_code_hours * HOUR_MS,
    ));
    let body = rsx! {
        CodePage { lang, user, name, code, server, uri, svg, expires }
    };
    let mut page = admin.page(StatusCode::OK, Msg::EnrollmentCode.text(lang), body);
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    page.into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_uri_carries_the_server_and_the_code() {
        assert_eq!(
            enroll_uri("https://p.example.com:8443", "K7M2P-9QXDA"),
            "plumbline://enroll?server=https%3A%2F%2Fp.example.com%3A8443&code=K7M2P-9QXDA"
        );
    }

    #[test]
    fn the_qr_code_of_the_enrollment_link_is_an_inline_svg() {
        let svg = qr_svg(&enroll_uri("http://127.0.0.1:8080", "K7M2P-9QXDA")).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("<path"));
    }

    #[test]
    fn the_address_is_the_configured_one_else_the_browsers_host() {
        let mut config =
            Config::for_data_dir(std::path::Path::new("d"), "127.0.0.1:8080".parse().unwrap())
                .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "office.local:8080".parse().unwrap());
        assert_eq!(
            server_address(&config, &headers),
            "http://office.local:8080"
        );
        headers.insert(header::HOST, "evil\"<x>".parse().unwrap());
        assert_eq!(server_address(&config, &headers), "http://127.0.0.1:8080");
        config.web.secure_cookies = true;
        headers.insert(header::HOST, "p.example.com".parse().unwrap());
        assert_eq!(server_address(&config, &headers), "https://p.example.com");
        config.web.public_url = "https://plumbline.example.com".into();
        assert_eq!(
            server_address(&config, &headers),
            "https://plumbline.example.com"
        );
    }
}
