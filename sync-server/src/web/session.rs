//! Signing in to the office web: password, session cookie, form tokens, throttling.
//!
//! - The session cookie is 32 random bytes, `HttpOnly` and `SameSite=Strict`; the database
//!   holds only its BLAKE3 hash, like device tokens, so a copy of the database signs no one in.
//! - Every form carries the session's CSRF token, checked before any action. `SameSite=Strict`
//!   already keeps other sites' forms from carrying the cookie; the token covers older browsers
//!   and same-site pages. The sign-in form, before any session exists, uses a double-submit
//!   token: a cookie and a hidden field that must match.
//! - Failed sign-ins are counted per login name (existing or not, so the answer never tells
//!   which names exist): each failure waits a little longer before answering, and
//!   [`LOCK_AFTER`] failures in a row lock the name for [`LOCK_MINUTES`].

use std::time::Duration;

use axum::Form;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use dioxus::prelude::*;
use plumbline_shared::ids::UserId;
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, MINUTE_MS, Timestamp};
use serde::Deserialize;

use super::i18n::{Lang, Msg};
use super::layout::{TopBar, message_page, render};
use crate::accounts::verify_password;
use crate::state::AppState;
use crate::store::{Membership, NewWebSession};

/// The session cookie.
pub const SESSION_COOKIE: &str = "plumbline_session";
/// The sign-in form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "plumbline_login";
/// The language cookie.
pub const LANG_COOKIE: &str = "lang";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins in a row that lock a login name.
pub const LOCK_AFTER: u32 = 5;
/// How long a locked name stays locked.
pub const LOCK_MINUTES: i64 = 15;

fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(value: &str) -> [u8; 32] {
    *blake3::hash(value.as_bytes()).as_bytes()
}

/// Compares two secrets in constant time.
fn same_secret(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

/// A cookie for this site; `secure` (`web.secure_cookies`) when the server is behind TLS.
fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_secure(secure);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c
}

/// The page language.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_request_parts(parts, state).await?;
        Ok(PageLang(
            jar.get(LANG_COOKIE)
                .map_or(Lang::Zh, |c| Lang::parse(c.value())),
        ))
    }
}

/// A signed-in member of staff. Extracting it from a request without a live session answers
/// with a redirect to the sign-in page.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Who.
    pub user: UserId,
    /// Their name.
    pub display_name: String,
    /// Their roles.
    pub memberships: Vec<Membership>,
    /// The session's form token.
    pub csrf: String,
    /// The page language.
    pub lang: Lang,
    /// Their unread notifications when the request came in (the bell in the top bar).
    pub unread: u64,
}

impl Staff {
    /// The top bar of their pages.
    pub fn top_bar(&self) -> TopBar {
        TopBar {
            name: self.display_name.clone(),
            csrf: self.csrf.clone(),
            admin: self.memberships.iter().any(|m| m.role == Role::Admin),
            intake: self
                .memberships
                .iter()
                .any(|m| super::intake::may_record(m.role)),
            devices: self
                .memberships
                .iter()
                .any(|m| matches!(m.role, Role::Manager | Role::Admin)),
            unread: self.unread,
        }
    }

    /// Their role in `project`, when they have one.
    pub fn role_in(&self, project: &plumbline_shared::ids::ProjectId) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| &m.project == project)
            .map(|m| m.role)
    }

    /// Checks a form's token: `None` when it is right, else the page that asks to submit
    /// again (answer with it, and do nothing else).
    pub fn csrf_refusal(&self, token: &str) -> Option<Response> {
        if same_secret(&self.csrf, token) {
            return None;
        }
        tracing::warn!(user = %self.user, "a form arrived with a wrong CSRF token");
        Some(message_page(
            StatusCode::FORBIDDEN,
            self.lang,
            Msg::FormExpired.text(self.lang),
            Some(self.top_bar()),
        ))
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PageLang(lang) = PageLang::from_request_parts(parts, state)
            .await
            .unwrap_or(PageLang(Lang::Zh));
        let jar = CookieJar::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let to_login = || Redirect::to("/login").into_response();
        let Some(value) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(to_login());
        };
        let session = state
            .store
            .web_session(hash(&value), state.now())
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "reading a web session");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            })?
            .ok_or_else(to_login)?;
        tracing::Span::current().record("device.id", format!("web:{}", session.user));
        let unread = state
            .store
            .unread_notifications(&session.user)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "counting unread notifications");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            })?;
        Ok(Staff {
            user: session.user,
            display_name: session.display_name,
            memberships: session.memberships,
            csrf: session.csrf_token,
            lang,
            unread,
        })
    }
}

#[component]
fn LoginForm(lang: Lang, token: String, error: Option<String>, login: String) -> Element {
    rsx! {
        h1 { {Msg::SignIn.text(lang)} }
        if let Some(error) = error {
            p { class: "error", role: "alert", "{error}" }
        }
        form { method: "post", action: "/login",
            input { r#type: "hidden", name: "csrf", value: "{token}" }
            p {
                label { {Msg::Login.text(lang)} " "
                    input { name: "login", value: "{login}", required: true, autofocus: true, maxlength: 64 }
                }
            }
            p {
                label { {Msg::Password.text(lang)} " "
                    input { name: "password", r#type: "password", required: true, maxlength: 256 }
                }
            }
            button { r#type: "submit", {Msg::SignIn.text(lang)} }
        }
    }
}

fn login_page(
    state: &AppState,
    lang: Lang,
    jar: CookieJar,
    status: StatusCode,
    error: Option<String>,
    login: String,
) -> Response {
    let token = random_hex();
    let secure = state.config.web.secure_cookies;
    let jar = jar.add(cookie(LOGIN_COOKIE, token.clone(), secure));
    let body = rsx! {
        LoginForm { lang, token, error, login }
    };
    (
        status,
        jar,
        render(lang, Msg::SignIn.text(lang), None, body),
    )
        .into_response()
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
) -> Response {
    login_page(&state, lang, jar, StatusCode::OK, None, String::new())
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginInput {
    login: String,
    password: String,
    csrf: String,
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Form(input): Form<LoginInput>,
) -> Response {
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| same_secret(&e, &input.csrf)) {
        let msg = Msg::FormExpired.text(lang).to_owned();
        return login_page(
            &state,
            lang,
            jar,
            StatusCode::FORBIDDEN,
            Some(msg),
            input.login,
        );
    }
    let login = input.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 64 || input.password.len() > 256 {
        let msg = Msg::BadCredentials.text(lang).to_owned();
        return login_page(
            &state,
            lang,
            jar,
            StatusCode::UNAUTHORIZED,
            Some(msg),
            input.login,
        );
    }
    match sign_in(&state, &login, &input.password).await {
        Ok(Some(value)) => {
            let jar = jar.remove(Cookie::from(LOGIN_COOKIE)).add(cookie(
                SESSION_COOKIE,
                value,
                state.config.web.secure_cookies,
            ));
            (jar, Redirect::to("/cases")).into_response()
        }
        Ok(None) => {
            let msg = Msg::BadCredentials.text(lang).to_owned();
            login_page(
                &state,
                lang,
                jar,
                StatusCode::UNAUTHORIZED,
                Some(msg),
                input.login,
            )
        }
        Err(SignInError::Locked) => {
            let msg = Msg::Locked.text(lang).to_owned();
            login_page(
                &state,
                lang,
                jar,
                StatusCode::TOO_MANY_REQUESTS,
                Some(msg),
                input.login,
            )
        }
        Err(SignInError::Internal(e)) => {
            tracing::error!(error = ?e, "signing in");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

enum SignInError {
    Locked,
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for SignInError {
    fn from(e: E) -> Self {
        SignInError::Internal(e.into())
    }
}

/// Checks the password with throttling; returns a new session cookie value on success.
async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
) -> Result<Option<String>, SignInError> {
    let at = state.now();
    let (failures, locked_until) = state.store.login_failures(login).await?;
    if locked_until.is_some_and(|t| t > at) {
        tracing::warn!(login, "sign-in refused: the name is locked");
        return Err(SignInError::Locked);
    }
    let user = UserId::new(login).ok();
    let hash_of = match &user {
        Some(u) => state.store.password_hash(u).await?,
        None => None,
    };
    let verified = match hash_of {
        Some(phc) => {
            let password = password.to_owned();
            tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await?
        }
        None => false,
    };
    let (Some(user), true) = (user, verified) else {
        let failures = state
            .store
            .record_login_failure(login, at, LOCK_AFTER, LOCK_MINUTES * MINUTE_MS)
            .await?;
        tracing::warn!(login, failures, "a sign-in failed");
        // Each failure in a row answers a little later, up to two seconds.
        let delay = 200 * u64::from(failures.min(10));
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if failures >= LOCK_AFTER {
            return Err(SignInError::Locked);
        }
        return Ok(None);
    };
    if failures > 0 {
        state.store.clear_login_failures(login).await?;
    }
    let value = random_hex();
    state
        .store
        .create_web_session(NewWebSession {
            session_hash: hash(&value),
            user: user.clone(),
            csrf_token: random_hex(),
            created_at: at,
            expires_at: Timestamp(at.0 + SESSION_HOURS * HOUR_MS),
        })
        .await?;
    tracing::info!(%user, "signed in to the office web");
    Ok(Some(value))
}

/// A form with only its token.
#[derive(Debug, Deserialize)]
pub struct TokenOnly {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    jar: CookieJar,
    Form(form): Form<TokenOnly>,
) -> Response {
    if let Some(refused) = staff.csrf_refusal(&form.csrf) {
        return refused;
    }
    if let Some(value) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned())
        && let Err(e) = state.store.delete_web_session(hash(&value)).await
    {
        tracing::error!(error = ?e, "ending a web session");
    }
    let jar = jar.remove(Cookie::from(SESSION_COOKIE));
    (jar, Redirect::to("/login")).into_response()
}

/// `GET /lang/{code}`: switches the language and goes back where the person was.
pub async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let lang = Lang::parse(&code);
    let mut c = cookie(
        LANG_COOKIE,
        lang.code().to_owned(),
        state.config.web.secure_cookies,
    );
    c.set_http_only(false);
    // Only a path on this site is followed back, never another site.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/cases".to_owned());
    (jar.add(c), Redirect::to(&back)).into_response()
}
