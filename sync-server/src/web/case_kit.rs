//! The action kit: what every office action on a case starts and ends with, written once.
//!
//! An action is a form posted to `/cases/{unit}/{finding}/…` by a signed-in office person.
//! [`CaseForm`] reads it: the form (or the page saying it could not be read), the page's CSRF
//! token, the case's ids from the path, the case's project and the person's role there. A
//! contractor's account is refused (403) whatever the step: contractors answer through their
//! own endpoint, which checks that the case is their company's.
//!
//! [`CaseForm::append`] ends it: under the unit document's lock it derives the case as it
//! stands, asks the workflow's precondition ([`may`]) whether this person may append the event
//! now, appends it and stores it — with the number it takes, when it takes one
//! ([`NewEvent::Numbered`]), claimed in the same transaction, so a refused or failed action
//! never leaves a gap in the notices' or the slips' series.
//!
//! Anything refused is a [`WebError`]: the page to answer with, in the person's language, with
//! nothing written. A handler is the action and its `?`s.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use plumbline_shared::doc::DocId;
use plumbline_shared::event::{Event, EventKind};
use plumbline_shared::ids::{ContractorId, DeviceId, EventId, FindingId, UnitId};
use plumbline_shared::lang::Lang;
use plumbline_shared::project::Project;
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::Anomaly;
use plumbline_shared::workflow::may::{Person, Refusal, may};
use serde::de::DeserializeOwned;

use super::case_load::{context, not_found, web_device};
use super::i18n::Msg;
use super::layout::{internal, message_page};
use super::posted::{Posted, StaffForm};
use super::session::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NumberClaim, Series, StoreError};
use crate::unit_write::{WriteError, edit_unit_claiming};

/// How many times an action reads again after another write came first (took its number, or
/// wrote the case's unit on another server replica).
const ATTEMPTS: usize = 8;

/// The page to answer an action with when it is refused or fails; nothing was written.
/// Boxed: a response is large, and a refusal is the rare path.
#[derive(Debug)]
pub struct WebError(Box<Response>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for WebError {
    fn from(page: Response) -> Self {
        Self(Box::new(page))
    }
}

impl WebError {
    /// Our fault: logged, and the generic error page.
    pub fn internal(cause: impl std::fmt::Debug) -> Self {
        internal(cause).into()
    }
}

/// The event an action appends.
pub enum NewEvent {
    /// An event as it is.
    Plain(EventKind),
    /// An event that takes the next number of a series (a notice's `ZG-…`, a slip's `FK-…`):
    /// made from the printed number once it is known.
    Numbered {
        /// The series.
        series: Series,
        /// The event, given its number.
        make: Box<dyn Fn(String) -> EventKind + Send + Sync>,
    },
}

impl std::fmt::Debug for NewEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plain(kind) => f.debug_tuple("Plain").field(kind).finish(),
            Self::Numbered { series, .. } => {
                f.debug_struct("Numbered").field("series", series).finish()
            }
        }
    }
}

/// A form posted to a case by a signed-in office person (see the module docs).
#[derive(Debug)]
pub struct CaseForm<F> {
    /// The person.
    pub staff: Staff,
    /// The case's unit.
    pub unit: UnitId,
    /// The case.
    pub finding: FindingId,
    /// The case's project.
    pub project: Project,
    /// The person's role in it (never the contractor's).
    pub role: Role,
    /// The form.
    pub form: F,
    /// The path's other parameters (a slip's or a claim's id), by name.
    params: HashMap<String, String>,
}

impl<F> FromRequest<AppState> for CaseForm<F>
where
    F: DeserializeOwned + Posted + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let params = Path::<HashMap<String, String>>::from_request_parts(&mut parts, state)
            .await
            .map(|Path(p)| p)
            .unwrap_or_default();
        let StaffForm { staff, form } =
            StaffForm::<F>::from_request(Request::from_parts(parts, body), state).await?;
        let ids = params
            .get("unit")
            .and_then(|u| UnitId::new(u.as_str()).ok())
            .zip(
                params
                    .get("finding")
                    .and_then(|f| FindingId::new(f.as_str()).ok()),
            );
        let Some((unit, finding)) = ids else {
            return Err(not_found(&staff));
        };
        let (project, role) = context(state, &staff, &unit).await?;
        // Contractors answer through their own endpoint, for their own company's cases only;
        // the office forms are not theirs, whatever step they name.
        if role == Role::Contractor {
            tracing::warn!(user = %staff.user, %unit, "an office action refused to a contractor");
            return Err(message_page(
                StatusCode::FORBIDDEN,
                staff.lang,
                Msg::Forbidden.text(staff.lang),
                Some(staff.top_bar()),
            ));
        }
        Ok(Self {
            staff,
            unit,
            finding,
            project,
            role,
            form,
            params,
        })
    }
}

/// Why an append did not happen.
enum AppendError {
    /// The precondition refused.
    Refused(Refusal),
    /// The workflow would have made the event an anomaly (the precondition's backstop).
    Anomaly(Anomaly),
    /// The case does not exist.
    NotFound,
    /// Another write came first: it took the number, or (on another server replica) wrote the
    /// document. Nothing was stored; read again and retry.
    CameFirst,
    /// Anything else.
    Api(ApiError),
}

impl From<ApiError> for AppendError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<WriteError> for AppendError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NotFound(_) => Self::NotFound,
            WriteError::Store(StoreError::NumberTaken { .. } | StoreError::Stale { .. }) => {
                Self::CameFirst
            }
            other => Self::Api(other.into()),
        }
    }
}

impl<F> CaseForm<F> {
    /// The page's language.
    pub fn lang(&self) -> Lang {
        self.staff.lang
    }

    /// The person, for the workflow's preconditions.
    pub fn person(&self) -> Person<'_> {
        Person {
            user: &self.staff.user,
            role: self.role,
        }
    }

    /// The case page's path.
    pub fn case_path(&self) -> String {
        format!("/cases/{}/{}", self.unit, self.finding)
    }

    /// A page with `status` saying `text`.
    pub fn page(&self, status: StatusCode, text: &str) -> WebError {
        message_page(status, self.lang(), text, Some(self.staff.top_bar())).into()
    }

    /// 400: what the person sent is wrong, in a sentence.
    pub fn bad(&self, text: &str) -> WebError {
        self.page(StatusCode::BAD_REQUEST, text)
    }

    /// 400 with the sentence in the person's language.
    pub fn bad_pick(&self, zh: &str, en: &str) -> WebError {
        self.bad(self.lang().pick(zh, en))
    }

    /// 404.
    pub fn not_found(&self) -> WebError {
        not_found(&self.staff).into()
    }

    /// The page for a precondition's refusal: 403 for the role, 404 for a slip or claim the
    /// case does not hold, 400 with the reason otherwise.
    pub fn refused(&self, refusal: &Refusal) -> WebError {
        let lang = self.lang();
        match refusal {
            Refusal::Role { action, .. } => {
                tracing::warn!(user = %self.staff.user, role = ?self.role, action, "an office action refused for the role");
                self.page(StatusCode::FORBIDDEN, Msg::Forbidden.text(lang))
            }
            Refusal::NoSuchFine { .. } | Refusal::NoSuchClaim { .. } => {
                self.page(StatusCode::NOT_FOUND, &refusal.sentence(lang))
            }
            other => self.bad(&other.sentence(lang)),
        }
    }

    /// A parameter of the path by name (a slip's or a claim's id), when it is one.
    pub fn param<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.params.get(name).and_then(|v| v.parse().ok())
    }

    /// Refuses `kind` now, before anything is read or numbered, when the person's role may
    /// never take it (the rest is checked under the lock by [`CaseForm::append`]).
    pub fn role_may(&self, kind: &EventKind) -> Result<(), WebError> {
        if kind.allows(self.role) {
            return Ok(());
        }
        Err(self.refused(&Refusal::Role {
            role: self.role,
            action: kind.name(),
        }))
    }

    /// A contractor of the case's project, from a form's field; the sentence saying what is
    /// wrong otherwise.
    pub fn project_contractor(&self, field: &str) -> Result<ContractorId, WebError> {
        let Ok(id) = ContractorId::new(field.trim()) else {
            return Err(self.bad_pick("请选择施工单位。", "Choose a contractor."));
        };
        if !self.project.contractors.iter().any(|c| c.id == id) {
            return Err(self.bad_pick(
                "该施工单位不属于本项目。",
                "That contractor is not on this project.",
            ));
        }
        Ok(id)
    }

    /// Appends the event `make` builds from the next number of `series` (see
    /// [`NewEvent::Numbered`]), after refusing at once a person whose role may never take it.
    pub async fn append_numbered(
        &self,
        state: &AppState,
        series: Series,
        make: impl Fn(String) -> EventKind + Send + Sync + 'static,
    ) -> Result<Response, WebError> {
        // A placeholder number: the role check depends on the kind of event only.
        self.role_may(&make(series.format(0, 0)))?;
        let event = NewEvent::Numbered {
            series,
            make: Box::new(make),
        };
        self.append(state, event).await
    }

    /// Appends `event` for the person, if the workflow's precondition allows it now (see the
    /// module docs), then back to the case page.
    pub async fn append(&self, state: &AppState, event: NewEvent) -> Result<Response, WebError> {
        let device = web_device(state, &self.staff).map_err(WebError::internal)?;
        for _ in 0..ATTEMPTS {
            let at = state.now();
            let (kind, claims) = match &event {
                NewEvent::Plain(kind) => (kind.clone(), Vec::new()),
                NewEvent::Numbered { series, make } => {
                    // The series count by the Beijing year the document is issued in.
                    let year = at.date_cst().year();
                    let number = state
                        .store
                        .next_number(*series, year)
                        .await
                        .map_err(WebError::internal)?;
                    let claim = NumberClaim {
                        series: *series,
                        year,
                        number,
                    };
                    (make(series.format(year, number)), vec![claim])
                }
            };
            match self.append_once(state, &device, kind, at, claims).await {
                Ok(()) => return Ok(Redirect::to(&self.case_path()).into_response()),
                Err(AppendError::CameFirst) => continue,
                Err(AppendError::Refused(r)) => return Err(self.refused(&r)),
                Err(AppendError::Anomaly(a)) => {
                    let lang = self.lang();
                    let m = match lang {
                        Lang::Zh => format!("这一步不符合案件当前的状态：{}。", a.kind.label_zh()),
                        Lang::En => format!(
                            "This step does not fit where the case stands: {}.",
                            a.kind.label_en()
                        ),
                    };
                    return Err(self.bad(&m));
                }
                Err(AppendError::NotFound | AppendError::Api(ApiError::NotFound(_))) => {
                    return Err(self.not_found());
                }
                Err(AppendError::Api(ApiError::BadRequest(m))) => return Err(self.bad(&m)),
                Err(AppendError::Api(e)) => return Err(WebError::internal(e)),
            }
        }
        Err(WebError::internal(anyhow::anyhow!(
            "another write came first {ATTEMPTS} times in a row"
        )))
    }

    async fn append_once(
        &self,
        state: &AppState,
        device: &DeviceId,
        kind: EventKind,
        at: Timestamp,
        claims: Vec<NumberClaim>,
    ) -> Result<(), AppendError> {
        let event = Event {
            id: EventId::random(),
            kind,
            actor: Actor {
                user: self.staff.user.clone(),
                role: self.role,
                device: device.clone(),
            },
            at,
        };
        let event_id = event.id.clone();
        let doc_id = DocId::Unit(self.unit.clone());
        let finding = &self.finding;
        let person = self.person();
        edit_unit_claiming(
            state,
            &doc_id,
            Some(device),
            0,
            claims,
            |doc, before, project| {
                let settings = state.settings_of(project);
                let current = before.findings.get(finding).ok_or(AppendError::NotFound)?;
                may(&event.kind, person, &current.state(at, &settings))
                    .map_err(AppendError::Refused)?;
                doc.append(finding, event)
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
                // The workflow's own word, should the precondition ever disagree with it.
                let after = doc
                    .finding(finding)
                    .map_err(|e| ApiError::Internal(e.into()))?
                    .state(at, &settings);
                match after
                    .anomalies
                    .into_iter()
                    .find(|a| a.event.as_ref() == Some(&event_id))
                {
                    Some(a) => Err(AppendError::Anomaly(a)),
                    None => Ok(()),
                }
            },
        )
        .await
    }
}
