//! Signing in to the office web: password, session cookie, form tokens, throttling.
//!
//! - The session cookie is 32 random bytes, `HttpOnly` and `SameSite=Strict`; the database
//!   holds only its BLAKE3 hash, like device tokens, so a copy of the database signs no one in.
//! - Every form carries the session's CSRF token, checked before any action. `SameSite=Strict`
//!   already keeps other sites' forms from carrying the cookie; the token covers older browsers
//!   and same-site pages. The sign-in form, before any session exists, uses a double-submit
//!   token: a cookie and a hidden field that must match.
//! - Sign-ins are counted per login name (existing or not, so the answer never tells which
//!   names exist), before the password is checked, so attempts sent at once are counted one by
//!   one: each failure waits a little longer before answering, and [`LOCK_AFTER`] attempts in
//!   a row without a success lock the name for [`LOCK_MINUTES`]. An unknown name is checked
//!   against a hash of no one's, so it costs the same time. Each address has its own budget of
//!   attempts, and only a few password checks run at once (`crate::throttle`).

use std::sync::LazyLock;
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
use crate::accounts::verify_password_in;
use crate::state::AppState;
use crate::store::{LoginAttempt, Membership, NewWebSession};
use crate::throttle::Peer;

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
            devices: !super::device_work::overseen(self).is_empty(),
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
    peer: Peer,
    PageLang(lang): PageLang,
    jar: CookieJar,
    Form(input): Form<LoginInput>,
) -> Response {
    let typed = input.login.clone();
    // The form again, with what went wrong in words and what was typed as the name.
    let again = |jar: CookieJar, status: StatusCode, msg: Msg| {
        login_page(
            &state,
            lang,
            jar,
            status,
            Some(msg.text(lang).to_owned()),
            typed.clone(),
        )
    };
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| same_secret(&e, &input.csrf)) {
        return again(jar, StatusCode::FORBIDDEN, Msg::FormExpired);
    }
    let login = input.login.trim().to_lowercase();
    if login.is_empty() || login.len() > 64 || input.password.len() > 256 {
        return again(jar, StatusCode::UNAUTHORIZED, Msg::BadCredentials);
    }
    match sign_in(&state, peer, &login, &input.password).await {
        Ok(Some(value)) => {
            let jar = jar.remove(Cookie::from(LOGIN_COOKIE)).add(cookie(
                SESSION_COOKIE,
                value,
                state.config.web.secure_cookies,
            ));
            (jar, Redirect::to("/cases")).into_response()
        }
        Ok(None) => again(jar, StatusCode::UNAUTHORIZED, Msg::BadCredentials),
        Err(SignInError::Locked) => {
            // The lock lasts its window from the latest failure: at most that long.
            let window = Duration::from_secs(LOCK_MINUTES as u64 * 60);
            let page = again(jar, StatusCode::TOO_MANY_REQUESTS, Msg::Locked);
            retry_after(page, window)
        }
        Err(SignInError::Busy(wait)) => {
            let page = again(jar, StatusCode::TOO_MANY_REQUESTS, Msg::TooManySignIns);
            retry_after(page, wait)
        }
        Err(SignInError::Internal(e)) => {
            tracing::error!(error = ?e, "signing in");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

enum SignInError {
    Locked,
    /// Too many attempts from the address, or every password check busy: come back after.
    Busy(Duration),
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for SignInError {
    fn from(e: E) -> Self {
        SignInError::Internal(e.into())
    }
}

/// `page` with `Retry-After: wait` (whole seconds, at least one).
fn retry_after(mut page: Response, wait: Duration) -> Response {
    if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    page
}

/// A password hash of the server's own making, checked when the name is unknown: a wrong
/// name then costs what a wrong password costs, and the time of the answer tells no one
/// which names exist.
static NO_ONE: LazyLock<String> =
    LazyLock::new(|| crate::accounts::hash_password(&random_hex()).unwrap_or_default());

/// Checks the password with throttling; returns a new session cookie value on success.
async fn sign_in(
    state: &AppState,
    peer: Peer,
    login: &str,
    password: &str,
) -> Result<Option<String>, SignInError> {
    let at = state.now();
    if let Some(ip) = peer.0
        && let Err(wait) = state.throttle.sign_ins.take(ip)
    {
        tracing::warn!(%ip, "sign-in refused: too many from this address");
        return Err(SignInError::Busy(wait));
    }
    // Counted before the check, so that attempts sent at once cannot all be checked.
    let failures = match state
        .store
        .begin_login_attempt(login, at, LOCK_AFTER, LOCK_MINUTES * MINUTE_MS)
        .await?
    {
        LoginAttempt::Locked => {
            tracing::warn!(login, "sign-in refused: the name is locked");
            return Err(SignInError::Locked);
        }
        LoginAttempt::Counted(n) => n,
    };
    let user = UserId::new(login).ok();
    let hash_of = match &user {
        Some(u) => state.store.password_hash(u).await?,
        None => None,
    };
    let Some(turn) = state.throttle.check_turn().await else {
        tracing::warn!(login, "sign-in refused: password checks are all busy");
        return Err(SignInError::Busy(crate::throttle::CHECK_WAIT));
    };
    let known = hash_of.is_some();
    let phc = hash_of.unwrap_or_else(|| NO_ONE.clone());
    let password = password.to_owned();
    let matches = turn
        .run(move |memory| verify_password_in(&password, &phc, memory))
        .await?;
    let (Some(user), true) = (user, known && matches) else {
        tracing::warn!(login, failures, "a sign-in failed");
        // Each failure in a row answers a little later, up to two seconds.
        let delay = 200 * u64::from(failures.min(10));
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if failures >= LOCK_AFTER {
            return Err(SignInError::Locked);
        }
        return Ok(None);
    };
    state.store.clear_login_failures(login).await?;
    if let Some(ip) = peer.0 {
        state.throttle.sign_ins.refund(ip);
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
