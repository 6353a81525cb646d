//! The office web: the case records and the complaint-center workflow in the browser.
//!
//! Pages are rendered on the server with Dioxus `rsx!` and `dioxus-ssr`: plain HTML, forms and
//! links, no script needed, so they work on any office PC and print cleanly. zh-CN by default,
//! English on a switch ([`i18n`]). Staff sign in with a password ([`session`]); every form
//! carries a CSRF token; roles are checked on the server for every action, never by hiding a
//! button.
//!
//! - [`cases`]: the case list, its filters, paging and CSV export.
//! - [`case_detail`]: one case, its timeline and photos, and the workflow's actions.
//! - [`fines`]: fine slips on a case (draft, approvals, void, the printable slip);
//!   [`claims`]: owner claims (record, agree, pay); [`money`]: amounts in yuan and in Chinese
//!   capital numerals.
//! - [`layout`]: the page shell.
//! - [`readiness`]: handover readiness per project and building, and [`planning`]: who
//!   inspects which floors when.
//! - [`intake`]: the front desk's complaint intake (an owner's call or visit opens a case);
//!   [`merge`]: probable duplicates and merging them.
//! - [`archives`]: a unit's archive (every case, repair, claim, fine and inspection round) and
//!   an owner's cases across units; [`sorting`]: the case list's order; [`reassign`]: a
//!   disputed or refused case to another contractor.
//! - [`admin`]: administration (users and roles, devices, enrollment codes, projects, the
//!   checklist template), for administrators only.

pub mod admin;
pub mod archives;
pub mod case_actions;
pub mod case_detail;
pub mod case_export;
pub mod case_kit;
pub mod case_load;
pub mod cases;
pub mod claims;
pub mod dashboard;
pub mod event_text;
pub mod fines;
pub mod i18n;
pub mod inbox;
pub mod intake;
pub mod labels;
pub mod layout;
pub mod merge;
pub mod money;
pub mod notice_print;
pub mod photos;
pub mod planning;
pub mod posted;
pub mod readiness;
pub mod reassign;
pub mod reports;
pub mod session;
pub mod sorting;
pub mod told;
pub mod when;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

use crate::state::AppState;

/// The office web's routes (outside `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/dashboard", get(dashboard::show))
        .route("/inbox", get(inbox::show))
        .route("/inbox/read", axum::routing::post(inbox::mark_read))
        .route("/intake", get(intake::form).post(intake::record))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", axum::routing::post(session::logout))
        .route("/lang/{code}", get(session::switch_language))
        .route("/readiness", get(readiness::show))
        .route(
            "/reports",
            get(|| async { Redirect::to("/reports/monthly") }),
        )
        .route("/reports/monthly", get(reports::monthly::show))
        .route("/reports/suggestions", get(reports::suggestions::show))
        .route("/reports/suggestions.xlsx", get(reports::suggestions::xlsx))
        .route(
            "/reports/suggestions/notes",
            axum::routing::post(reports::suggestions::save_note),
        )
        .route("/reports/scorecards", get(reports::scorecards::show))
        .route("/reports/satisfaction", get(reports::satisfaction::show))
        .route("/reports/cases", get(reports::drill::list))
        .route("/readiness/units", get(readiness::units))
        .route(
            "/readiness/assignments",
            axum::routing::post(planning::save),
        )
        .route(
            "/readiness/assignments/remove",
            axum::routing::post(planning::remove),
        )
        .route("/cases", get(cases::list))
        .route("/cases/export.csv", get(case_export::csv))
        .route("/cases/export.xlsx", get(case_export::xlsx))
        .route("/cases/{unit}/{finding}", get(case_detail::show))
        .route(
            "/cases/{unit}/{finding}/notice",
            get(notice_print::print_notice).post(case_actions::issue_notice),
        )
        .route(
            "/cases/{unit}/{finding}/callback",
            axum::routing::post(case_actions::record_callback),
        )
        .route(
            "/cases/{unit}/{finding}/step",
            axum::routing::post(case_actions::record_step),
        )
        .route(
            "/cases/{unit}/{finding}/reassign",
            axum::routing::post(reassign::reassign),
        )
        .route(
            "/cases/{unit}/{finding}/fines",
            axum::routing::post(fines::draft),
        )
        .route("/cases/{unit}/{finding}/fines/{fine}", get(fines::print))
        .route(
            "/cases/{unit}/{finding}/fines/{fine}/approve",
            axum::routing::post(fines::approve),
        )
        .route(
            "/cases/{unit}/{finding}/fines/{fine}/void",
            axum::routing::post(fines::void),
        )
        .route(
            "/cases/{unit}/{finding}/claims",
            axum::routing::post(claims::record),
        )
        .route(
            "/cases/{unit}/{finding}/claims/{claim}/agree",
            axum::routing::post(claims::agree),
        )
        .route(
            "/cases/{unit}/{finding}/claims/{claim}/pay",
            axum::routing::post(claims::pay),
        )
        .route(
            "/cases/{unit}/{finding}/merge",
            axum::routing::post(merge::merge),
        )
        .route("/photos/{hash}", get(photos::photo))
        .route("/archives/owners", get(archives::owners))
        .route("/archives/units", get(archives::unit_box))
        .route("/archives/units/{unit}", get(archives::unit))
        .nest("/admin", admin::router())
}
